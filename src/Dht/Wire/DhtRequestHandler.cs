using System.Buffers;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Transport;

namespace Overlay.Dht.Wire;

/// <summary>
/// The inbound side of protocol <c>dht/1</c> (<see cref="ProtocolIds.Dht"/>): serves DHT requests from
/// the transport out of a node's routing table and record store. Checks run
/// cheapest first: length, version and type bytes, then the per-peer rate limit, then the full decode,
/// and record signatures last (inside the store). Every refusal is answered with an ERROR reply and
/// counted by reason; nothing a peer sends makes it throw. The routing table is locked on itself and
/// the store on itself, as <see cref="DhtClient"/> and <see cref="DhtNode"/> do. A STORE that the store
/// accepts is answered only once the journal has saved it, so a peer is never told a record is kept
/// that a killed process would lose; a failed save is answered with ERROR <see cref="DhtErrorCode.Internal"/>.
/// </summary>
public sealed class DhtRequestHandler : IProtocolHandler
{
    // Shared with the node's client and maintenance; each reached only through its guard (see Guarded).
    private readonly Guarded<RoutingTable> _table;
    private readonly Guarded<RecordStore> _store;
    private readonly Guarded<PeerRateLimiter> _limiter;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly DhtMetrics _metrics;
    private readonly Func<(VivaldiCoordinate Coordinate, double Error)> _coordinate;
    private readonly Action<Contact>? _pingRequired;
    private readonly IDhtStateJournal? _journal;

    /// <summary>Creates the handler.</summary>
    /// <param name="table">The node's routing table; senders that give a listen address are observed in it.</param>
    /// <param name="store">The node's records.</param>
    /// <param name="limiter">Per-peer request budget.</param>
    /// <param name="options">Limits (k, record sizes).</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Where refusals are counted.</param>
    /// <param name="coordinate">The node's current network coordinate and its error, sent with every answer.</param>
    public DhtRequestHandler(
        RoutingTable table, RecordStore store, PeerRateLimiter limiter, DhtOptions options, TimeProvider time,
        DhtMetrics metrics, Func<(VivaldiCoordinate Coordinate, double Error)> coordinate)
        : this(table, store, limiter, options, time, metrics, coordinate, pingRequired: null)
    {
    }

    /// <summary>Creates the handler; <paramref name="pingRequired"/> is asked to ping contacts the table wants checked.</summary>
    /// <param name="table">The node's routing table; senders that give a listen address are observed in it.</param>
    /// <param name="store">The node's records.</param>
    /// <param name="limiter">Per-peer request budget.</param>
    /// <param name="options">Limits (k, record sizes).</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Where refusals are counted.</param>
    /// <param name="coordinate">The node's current network coordinate and its error, sent with every answer.</param>
    /// <param name="pingRequired">
    /// Called (outside the table lock) when a sender that is new to a full bucket makes the table ask for
    /// its least-recently-seen contact to be pinged (Kademlia §2.2); the callee pings it through
    /// <see cref="IDhtRpc"/> and reports to <see cref="RoutingTable.OnPingResult"/>. Null: no ping, the
    /// newcomer only waits in the replacement cache.
    /// </param>
    /// <param name="journal">Where accepted records are saved before the STORE is answered; null keeps them in memory only.</param>
    public DhtRequestHandler(
        RoutingTable table, RecordStore store, PeerRateLimiter limiter, DhtOptions options, TimeProvider time,
        DhtMetrics metrics, Func<(VivaldiCoordinate Coordinate, double Error)> coordinate, Action<Contact>? pingRequired,
        IDhtStateJournal? journal = null)
        : this(new Guarded<RoutingTable>(table), new Guarded<RecordStore>(store), new Guarded<PeerRateLimiter>(limiter), options, time, metrics, coordinate, pingRequired, journal)
    {
    }

    /// <summary>Creates the handler over structures it shares with the node, each behind the node's guard.</summary>
    internal DhtRequestHandler(
        Guarded<RoutingTable> table, Guarded<RecordStore> store, Guarded<PeerRateLimiter> limiter, DhtOptions options, TimeProvider time,
        DhtMetrics metrics, Func<(VivaldiCoordinate Coordinate, double Error)> coordinate, Action<Contact>? pingRequired,
        IDhtStateJournal? journal)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(coordinate);
        _table = table;
        _store = store;
        _limiter = limiter;
        _options = options;
        _time = time;
        _metrics = metrics;
        _coordinate = coordinate;
        _pingRequired = pingRequired;
        _journal = journal;
    }

    /// <inheritdoc/>
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(response);
        return ServeAsync(connection.RemotePeer, request.Span, response);
    }

    /// <inheritdoc/>
    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask; // The DHT is request/response only; one-way messages are ignored.

    /// <inheritdoc/>
    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask; // Not part of the DHT protocol: the stream is closed when this returns.

    /// <summary>
    /// Answers one request from <paramref name="remote"/> (the authenticated peer) into <paramref name="response"/>.
    /// Completes at once except for an accepted STORE with a journal, whose answer is written once the record is saved.
    /// </summary>
    public ValueTask ServeAsync(PeerId remote, ReadOnlySpan<byte> request, IBufferWriter<byte> response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var (coordinate, coordinateError) = _coordinate();
        if (request.Length < 2)
        {
            Refuse(response, coordinate, coordinateError, DhtWireError.TooShort, DhtErrorCode.Malformed);
            return ValueTask.CompletedTask;
        }

        if (request[0] != DhtMessageCodec.Version)
        {
            Refuse(response, coordinate, coordinateError, DhtWireError.UnsupportedVersion, DhtErrorCode.UnsupportedVersion);
            return ValueTask.CompletedTask;
        }

        if ((DhtMessageType)request[1] is not (DhtMessageType.Ping or DhtMessageType.FindNode or DhtMessageType.FindValue or DhtMessageType.Store))
        {
            Refuse(response, coordinate, coordinateError, DhtWireError.UnknownType, DhtErrorCode.UnknownType);
            return ValueTask.CompletedTask;
        }

        var now = _time.GetUtcNow();
        bool allowed;
        using (_limiter.Enter(out var limiter))
        {
            allowed = limiter.TryAcquire(remote, now);
        }

        if (!allowed)
        {
            _metrics.DropRequestRateLimited();
            DhtMessageCodec.WriteError(response, coordinate, coordinateError, DhtErrorCode.RateLimited);
            return ValueTask.CompletedTask;
        }

        // PING, FIND_NODE and FIND_VALUE, nearly all of the traffic, are read in place: no message object,
        // and the sender's address is parsed only when the table does not already hold it byte for byte.
        if (DhtMessageDecoder.TryReadSmallRequest(request, out var type, out var sender, out var target))
        {
            if (!ObserveSender(remote, sender, now))
            {
                Refuse(response, coordinate, coordinateError, DhtWireError.BadAddress, DhtErrorCode.Malformed);
                return ValueTask.CompletedTask;
            }

            _metrics.Served(type);
            switch (type)
            {
                case DhtMessageType.Ping:
                    DhtMessageCodec.WritePong(response, coordinate, coordinateError);
                    break;
                default:
                    WriteClosest(response, coordinate, coordinateError, target, findValue: type == DhtMessageType.FindValue, now);
                    break;
            }

            return ValueTask.CompletedTask;
        }

        if (!DhtMessageDecoder.TryDecode(request, _options, out var message, out var error, out var recordError))
        {
            // A STORE whose record breaks a size limit is refused before it can be built; it still counts
            // as a refused store with that reason, like the refusals the store itself makes.
            var refused = recordError switch
            {
                RecordDecodeError.ValueTooLarge => RecordRejection.ValueTooLarge,
                RecordDecodeError.PublicKeyLength => RecordRejection.PublicKeyLength,
                RecordDecodeError.SignatureLength => RecordRejection.SignatureLength,
                RecordDecodeError.BatchSize => RecordRejection.BatchTooLarge,
                RecordDecodeError.BadPath => RecordRejection.PathMismatch,
                _ => RecordRejection.None,
            };
            _metrics.RefuseStore(refused);
            Refuse(response, coordinate, coordinateError, error, DhtErrorCode.Malformed);
            return ValueTask.CompletedTask;
        }

        ObserveSender(remote, message.SenderAddress, now);
        _metrics.Served(message.Type);
        RecordRejection verdict;
        Task? saved = null;
        using (_store.Enter(out var store))
        {
            if (message.ProviderBatch is { } batch)
            {
                var kept = _journal is null ? null : new List<ProviderRecord>(batch.Count);
                verdict = store.AddProviderBatch(batch, remote, now, kept);
                if (verdict == RecordRejection.None && kept is { Count: > 0 })
                {
                    // One saved row per id, each with its path: restored, each checks against the root like any answer.
                    var writes = new Task[kept.Count];
                    for (var i = 0; i < writes.Length; i++)
                    {
                        writes[i] = _journal!.WriteAsync(DhtStateChange.StoreProvider(new SavedProvider(kept[i], AnnouncedLocally: false)));
                    }

                    saved = Task.WhenAll(writes);
                }
            }
            else
            {
                verdict = message.Record is { } record
                    ? store.Put(record, now)
                    : store.AddProvider(message.Provider!, remote, now);
                if (verdict == RecordRejection.None && _journal is not null)
                {
                    // Queued under the store's lock: the file sees a key's versions in the order the store did.
                    saved = _journal.WriteAsync(message.Record is { } kept
                        ? DhtStateChange.StoreRecord(new SavedRecord(kept, PublishedLocally: false))
                        : DhtStateChange.StoreProvider(new SavedProvider(message.Provider!, AnnouncedLocally: false)));
                }
            }
        }

        if (verdict != RecordRejection.None)
        {
            _metrics.RefuseStore(verdict);
        }

        if (saved is null)
        {
            DhtMessageCodec.WriteStored(response, coordinate, coordinateError, verdict);
            return ValueTask.CompletedTask;
        }

        return AnswerWhenSavedAsync(saved, response);
    }

    private async ValueTask AnswerWhenSavedAsync(Task saved, IBufferWriter<byte> response)
    {
        try
        {
            await saved.ConfigureAwait(false);
        }
        catch (DhtStateException)
        {
            // Kept in memory but not saved: the peer must not count this node as holding it, and retries.
            _metrics.DropRequestInternal();
            var (failedAt, failedError) = _coordinate();
            DhtMessageCodec.WriteError(response, failedAt, failedError, DhtErrorCode.Internal);
            return;
        }

        // The coordinate as it is now: the answer goes out now.
        var (coordinate, coordinateError) = _coordinate();
        DhtMessageCodec.WriteStored(response, coordinate, coordinateError, RecordRejection.None);
    }

    private void Refuse(IBufferWriter<byte> response, VivaldiCoordinate coordinate, double coordinateError, DhtWireError reason, DhtErrorCode code)
    {
        _metrics.DropRequest(reason);
        DhtMessageCodec.WriteError(response, coordinate, coordinateError, code);
    }

    /// <summary>Observes the sender of a small request; false when its address bytes are not an address.</summary>
    private bool ObserveSender(PeerId remote, ReadOnlySpan<byte> sender, DateTimeOffset now)
    {
        if (sender.IsEmpty)
        {
            return true;
        }

        ObserveResult? repeated = null;
        using (_table.Enter(out var table))
        {
            // The usual case: a known contact repeating the address we hold. That address passed every
            // check when it was stored, so the sighting needs neither a parse nor a new string.
            if (table.Find(remote) is { } known && known.Dialable.TextEquals(sender))
            {
                repeated = table.Observe(remote, known.Group, now);
            }
        }

        if (repeated is { } result)
        {
            AskForPing(result);
            return true;
        }

        if (!DhtContactCodec.TryParseAddress(sender, out var text, out _))
        {
            return false;
        }

        ObserveSender(remote, text, now);
        return true;
    }

    private void ObserveSender(PeerId remote, string? senderAddress, DateTimeOffset now)
    {
        // Only a sender that says where it listens can be put in the table; an address pinned to another
        // identity than the authenticated one would let a peer plant someone else's address, so it is ignored.
        if (senderAddress is null || !TransportAddress.TryParse(senderAddress, out var address, out _) ||
            (address.ExpectedPeer is { } pinned && pinned != remote))
        {
            return;
        }

        ObserveResult result;
        using (_table.Enter(out var table))
        {
            result = table.ObserveHeld(remote, NetworkGroup.Of(address), now, double.NaN, PeerAddress.Of(address, senderAddress), null);
        }

        AskForPing(result);
    }

    private void AskForPing(ObserveResult result)
    {
        // Inbound traffic is a sighting like any answer: a newcomer to a full bucket makes the table ask
        // for its least-recently-seen contact to be pinged, and the newcomer waits for the verdict.
        if (result.Outcome == ObserveOutcome.PingRequired && result.PingTarget is { } stale)
        {
            _pingRequired?.Invoke(stale);
        }
    }

    private void WriteClosest(IBufferWriter<byte> response, VivaldiCoordinate coordinate, double coordinateError, PeerId target, bool findValue, DateTimeOffset now)
    {
        var k = _options.K;
        var contacts = ArrayPool<Contact>.Shared.Rent(k);
        var peers = ArrayPool<DhtPeer>.Shared.Rent(k);
        ProviderRecord[]? providers = null;
        try
        {
            var count = 0;
            using (_table.Enter(out var table))
            {
                var n = table.FindClosest(target, contacts.AsSpan(0, k), includeReplacements: true);
                for (var i = 0; i < n; i++)
                {
                    var c = contacts[i];
                    if (!c.Dialable.IsNone)
                    {
                        peers[count++] = new DhtPeer(c.Id, c.Dialable, c.Group, c.Coordinate);
                    }
                }
            }

            if (!findValue)
            {
                DhtMessageCodec.WriteNodes(response, coordinate, coordinateError, peers.AsSpan(0, count));
                return;
            }

            DhtRecord? record;
            int providerCount;
            providers = ArrayPool<ProviderRecord>.Shared.Rent(_options.MaxProvidersPerKey);
            using (_store.Enter(out var store))
            {
                record = store.Get(target, now);
                providerCount = store.GetProviders(target, now, providers.AsSpan(0, _options.MaxProvidersPerKey));
            }

            DhtMessageCodec.WriteValue(response, coordinate, coordinateError, record, providers.AsSpan(0, providerCount), peers.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<Contact>.Shared.Return(contacts, clearArray: true);
            ArrayPool<DhtPeer>.Shared.Return(peers, clearArray: true);
            if (providers is not null)
            {
                ArrayPool<ProviderRecord>.Shared.Return(providers, clearArray: true);
            }
        }
    }
}
