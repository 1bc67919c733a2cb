using System.Buffers;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Transport;

namespace Overlay.Dht.Wire;

/// <summary>
/// Serves DHT requests from the transport out of a node's routing table and record store. Checks run
/// cheapest first: length, version and type bytes, then the per-peer rate limit, then the full decode,
/// and record signatures last (inside the store). Every refusal is answered with an ERROR reply and
/// counted by reason; nothing a peer sends makes it throw. The routing table is locked on itself and
/// the store on itself, as <see cref="DhtClient"/> and <see cref="DhtNode"/> do.
/// </summary>
public sealed class DhtRequestHandler : IInboundHandler
{
    private readonly RoutingTable _table;
    private readonly RecordStore _store;
    private readonly PeerRateLimiter _limiter;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly DhtMetrics _metrics;
    private readonly Func<(VivaldiCoordinate Coordinate, double Error)> _coordinate;

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
    }

    /// <inheritdoc/>
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(response);
        Serve(connection.RemotePeer, request.Span, response);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask; // The DHT is request/response only; one-way messages are ignored.

    /// <inheritdoc/>
    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask; // Not part of the DHT protocol: the stream is closed when this returns.

    /// <summary>Answers one request from <paramref name="remote"/> (the authenticated peer) into <paramref name="response"/>.</summary>
    public void Serve(PeerId remote, ReadOnlySpan<byte> request, IBufferWriter<byte> response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var (coordinate, coordinateError) = _coordinate();
        if (request.Length < 2)
        {
            Refuse(response, coordinate, coordinateError, DhtWireError.TooShort, DhtErrorCode.Malformed);
            return;
        }

        if (request[0] != DhtMessageCodec.Version)
        {
            Refuse(response, coordinate, coordinateError, DhtWireError.UnsupportedVersion, DhtErrorCode.UnsupportedVersion);
            return;
        }

        if ((DhtMessageType)request[1] is not (DhtMessageType.Ping or DhtMessageType.FindNode or DhtMessageType.FindValue or DhtMessageType.Store))
        {
            Refuse(response, coordinate, coordinateError, DhtWireError.UnknownType, DhtErrorCode.UnknownType);
            return;
        }

        var now = _time.GetUtcNow();
        bool allowed;
        lock (_limiter)
        {
            allowed = _limiter.TryAcquire(remote, now);
        }

        if (!allowed)
        {
            _metrics.DropRequestRateLimited();
            DhtMessageCodec.WriteError(response, coordinate, coordinateError, DhtErrorCode.RateLimited);
            return;
        }

        if (!DhtMessageCodec.TryDecode(request, _options, out var message, out var error))
        {
            Refuse(response, coordinate, coordinateError, error, DhtErrorCode.Malformed);
            return;
        }

        ObserveSender(remote, message.SenderAddress, now);
        _metrics.Served(message.Type);
        switch (message.Type)
        {
            case DhtMessageType.Ping:
                DhtMessageCodec.WritePong(response, coordinate, coordinateError);
                break;
            case DhtMessageType.FindNode:
                WriteClosest(response, coordinate, coordinateError, message.Target, findValue: false, now);
                break;
            case DhtMessageType.FindValue:
                WriteClosest(response, coordinate, coordinateError, message.Target, findValue: true, now);
                break;
            default:
                RecordRejection verdict;
                lock (_store)
                {
                    verdict = message.Record is { } record
                        ? _store.Put(record, now)
                        : _store.AddProvider(message.Provider!, remote, now);
                }

                DhtMessageCodec.WriteStored(response, coordinate, coordinateError, verdict);
                break;
        }
    }

    private void Refuse(IBufferWriter<byte> response, VivaldiCoordinate coordinate, double coordinateError, DhtWireError reason, DhtErrorCode code)
    {
        _metrics.DropRequest(reason);
        DhtMessageCodec.WriteError(response, coordinate, coordinateError, code);
    }

    private void ObserveSender(PeerId remote, string? senderAddress, DateTimeOffset now)
    {
        // Only a sender that says where it listens can be put in the table; an address pinned to another
        // identity than the authenticated one would let a peer plant someone else's address, so it is ignored.
        if (senderAddress is null || !TransportAddress.TryParse(senderAddress, out var address, out _) ||
            (address.ExpectedPeer is { } pinned && pinned != remote) ||
            !System.Net.IPAddress.TryParse(address.HostText, out var ip))
        {
            return;
        }

        lock (_table)
        {
            _table.Observe(remote, NetworkGroup.FromAddress(ip), now, double.NaN, senderAddress);
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
            lock (_table)
            {
                var n = _table.FindClosest(target, contacts.AsSpan(0, k));
                for (var i = 0; i < n; i++)
                {
                    var c = contacts[i];
                    if (c.Address is not null)
                    {
                        peers[count++] = new DhtPeer(c.Id, c.Address, c.Group);
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
            lock (_store)
            {
                record = _store.Get(target, now);
                providerCount = _store.GetProviders(target, now, providers.AsSpan(0, _options.MaxProvidersPerKey));
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
