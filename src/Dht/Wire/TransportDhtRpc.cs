using System.Buffers;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Transport;
using Overlay.Transport.Interactions;
using Overlay.Transport.Pooling;

namespace Overlay.Dht.Wire;

/// <summary>
/// <see cref="IDhtRpc"/> over the transport, the client side of protocol <c>dht/1</c> (<see cref="ProtocolIds.Dht"/>): dials through the <see cref="ConnectionPool"/> by PeerId and
/// address, sends one request and checks the answer before anyone sees it. An answer that does not decode,
/// does not match the request, or lies (contacts out of distance order, duplicates, a record under
/// another key or with a bad signature) is dropped, counted by reason, and surfaces as a
/// <see cref="DhtProtocolException"/>, so the caller counts a failed request against the peer.
/// Timeouts are the caller's token (<see cref="DhtClient"/> applies <see cref="DhtOptions.RequestTimeout"/>).
/// Every exchange that gets an answer or a transport failure is reported to the interaction seam with its
/// bytes and latency; a timeout is reported by whoever owns the deadline, which this adapter cannot tell
/// apart from a caller that stopped waiting.
/// </summary>
public sealed class TransportDhtRpc : IDhtRpc
{
    /// <summary>
    /// DHT requests skip the transport's batch window: every lookup step waits for its answers, so a
    /// window on the request and another on the answer would add two windows to each hop and to every
    /// RTT sample. Requests and answers still share writes when the link is busy or several answers
    /// come from one read.
    /// </summary>
    internal const MessagePriority RequestPriority = MessagePriority.High;

    private readonly ConnectionPool _pool;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly RecordValidator _validator;
    private readonly DhtMetrics _metrics;
    private readonly Func<string?> _localAddress;
    private readonly Action<PeerId, VivaldiCoordinate, double, double>? _onAnswer;
    private readonly IInteractionObserver _interactions;

    /// <summary>Creates the adapter.</summary>
    /// <param name="pool">Connections, one per peer.</param>
    /// <param name="options">Limits applied to answers (k, record sizes).</param>
    /// <param name="time">Clock for round-trip times and record expiry checks.</param>
    /// <param name="validator">Checks records in FIND_VALUE answers.</param>
    /// <param name="metrics">Where drops are counted.</param>
    /// <param name="localAddress">The address this node listens on (sent with each request), or null.</param>
    /// <param name="onAnswer">Called after each good answer with (peer, its coordinate, its error, RTT in ms).</param>
    /// <param name="interactions">Told how each exchange ended; none when null.</param>
    public TransportDhtRpc(
        ConnectionPool pool, DhtOptions options, TimeProvider time, RecordValidator validator, DhtMetrics metrics,
        Func<string?> localAddress, Action<PeerId, VivaldiCoordinate, double, double>? onAnswer = null, IInteractionObserver? interactions = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(localAddress);
        _pool = pool;
        _options = options;
        _time = time;
        _validator = validator;
        _metrics = metrics;
        _localAddress = localAddress;
        _onAnswer = onAnswer;
        _interactions = interactions ?? InteractionObservers.None;
    }

    /// <inheritdoc/>
    public async Task PingAsync(DhtPeer peer, CancellationToken cancellationToken)
    {
        var sender = _localAddress();
        var buffer = ArrayPool<byte>.Shared.Rent(DhtMessageCodec.PingRequestLength(sender));
        try
        {
            var n = DhtMessageCodec.WritePingRequest(buffer, sender);
            _ = await ObserveAsync(peer, DhtOperations.Ping, cost => ExchangeAsync(peer, buffer.AsMemory(0, n), DhtMessageType.Pong, cost, cancellationToken));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<DhtPeer>> FindNodeAsync(DhtPeer peer, PeerId target, CancellationToken cancellationToken)
    {
        var answer = await ObserveAsync(peer, DhtOperations.FindNode, cost => LookupAsync(peer, DhtMessageType.FindNode, target, cost, cancellationToken));
        return answer.Contacts;
    }

    /// <inheritdoc/>
    public async Task<FindValueResponse> FindValueAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken)
    {
        var answer = await ObserveAsync(peer, DhtOperations.FindValue, cost => LookupAsync(peer, DhtMessageType.FindValue, key, cost, cancellationToken));
        return new FindValueResponse(answer.Record, answer.Contacts);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ProviderRecord>> FindProvidersAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken)
    {
        var answer = await ObserveAsync(peer, DhtOperations.FindProviders, cost => LookupAsync(peer, DhtMessageType.FindValue, key, cost, cancellationToken));
        return answer.Providers;
    }

    /// <inheritdoc/>
    /// <remarks>A peer that refuses the request under its rate limit gives <see cref="RecordRejection.RateLimited"/>.</remarks>
    public Task<RecordRejection> StoreAsync(DhtPeer peer, DhtRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return SendStoreAsync(
            peer, DhtOperations.Store, sender => DhtMessageCodec.StoreRequestLength(sender, record), (buffer, sender) => DhtMessageCodec.WriteStoreRequest(buffer, sender, record),
            provider: false, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>A peer that refuses the request under its rate limit gives <see cref="RecordRejection.RateLimited"/>.</remarks>
    public Task<RecordRejection> StoreProviderBatchAsync(DhtPeer peer, ProviderBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return SendStoreAsync(
            peer, DhtOperations.StoreProviderBatch, sender => DhtMessageCodec.StoreRequestLength(sender, batch), (buffer, sender) => DhtMessageCodec.WriteStoreRequest(buffer, sender, batch),
            provider: true, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>A peer that refuses the request under its rate limit gives <see cref="RecordRejection.RateLimited"/>.</remarks>
    public Task<RecordRejection> StoreProviderAsync(DhtPeer peer, ProviderRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return SendStoreAsync(
            peer, DhtOperations.StoreProvider, sender => DhtMessageCodec.StoreRequestLength(sender, record), (buffer, sender) => DhtMessageCodec.WriteStoreRequest(buffer, sender, record),
            provider: true, cancellationToken);
    }

    // One STORE written into a pooled buffer; provider STOREs are counted with their bytes.
    private async Task<RecordRejection> SendStoreAsync(
        DhtPeer peer, string operation, Func<string?, int> lengthOf, Func<byte[], string?, int> write, bool provider, CancellationToken cancellationToken)
    {
        var sender = _localAddress();
        var buffer = ArrayPool<byte>.Shared.Rent(lengthOf(sender));
        try
        {
            var n = write(buffer, sender);
            if (provider)
            {
                _metrics.SentProviderStore(n);
            }

            var answer = await ObserveAsync(peer, operation, cost => ExchangeAsync(peer, buffer.AsMemory(0, n), DhtMessageType.Stored, cost, cancellationToken));
            return answer.Verdict;
        }
        catch (DhtProtocolException e) when (e.ErrorCode == DhtErrorCode.RateLimited)
        {
            // Not a fault: the peer is alive and says when to come back (later). The put backs off.
            return RecordRejection.RateLimited;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<DhtMessage> LookupAsync(DhtPeer peer, DhtMessageType type, PeerId target, ExchangeCost cost, CancellationToken cancellationToken)
    {
        var sender = _localAddress();
        var buffer = ArrayPool<byte>.Shared.Rent(DhtMessageCodec.LookupRequestLength(sender));
        DhtMessage answer;
        try
        {
            var n = DhtMessageCodec.WriteLookupRequest(buffer, type, sender, target);
            answer = await ExchangeAsync(peer, buffer.AsMemory(0, n), type == DhtMessageType.FindNode ? DhtMessageType.Nodes : DhtMessageType.Value, cost, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var fault = CheckAnswer(answer, target);
        if (fault is { } f)
        {
            _metrics.DropResponse(f);
            throw new DhtProtocolException(f, $"Peer {peer.Id.ToShortString()} answered {type} with a response that breaks the protocol: {f}.");
        }

        // Only an answer that passed every check may move this node's coordinate.
        _onAnswer?.Invoke(peer.Id, answer.Coordinate, answer.CoordinateError, cost.RttMs);
        return answer;
    }

    /// <summary>
    /// Runs one exchange and reports how it ended: answered (and checked), refused with an ERROR, answered
    /// badly, or failed in the transport. Cancellation is not reported here (see the class remarks), and
    /// anything else thrown is this node's bug, which is no outcome of the peer's.
    /// </summary>
    private async Task<T> ObserveAsync<T>(DhtPeer peer, string operation, Func<ExchangeCost, Task<T>> exchange)
    {
        var cost = new ExchangeCost(_time.GetTimestamp());
        try
        {
            var result = await exchange(cost);
            Report(peer, operation, InteractionResult.Succeeded, cost);
            return result;
        }
        catch (DhtProtocolException e)
        {
            Report(peer, operation, e.Outcome, cost);
            throw;
        }
        catch (TransportException e)
        {
            Report(peer, operation, e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable, cost);
            throw;
        }
    }

    private void Report(DhtPeer peer, string operation, InteractionResult result, ExchangeCost cost)
    {
        var latency = double.IsNaN(cost.RttMs) ? _time.GetElapsedTime(cost.Started) : TimeSpan.FromMilliseconds(cost.RttMs);
        _interactions.Observe(new InteractionOutcome(peer.Id, ProtocolIds.Dht, operation, result, cost.Sent, cost.Received, latency));
    }

    private DhtResponseFault? CheckAnswer(DhtMessage answer, PeerId target)
    {
        // The protocol asks for contacts closest first, so each must be strictly farther than the one before:
        // a responder that pads its answer with far contacts in front of near ones is lying about closeness.
        var contacts = answer.Contacts;
        for (var i = 1; i < contacts.Count; i++)
        {
            var order = contacts[i - 1].Id.Xor(target).CompareTo(contacts[i].Id.Xor(target));
            if (order == 0)
            {
                return DhtResponseFault.DuplicateContact;
            }

            if (order > 0)
            {
                return DhtResponseFault.ContactsNotCloser;
            }
        }

        if (answer.Record is { } record)
        {
            if (record.Key != target)
            {
                return DhtResponseFault.WrongKey;
            }

            if (_validator.Validate(record, _time.GetUtcNow()) != RecordRejection.None)
            {
                return DhtResponseFault.InvalidRecord;
            }
        }

        var now = _time.GetUtcNow();
        foreach (var p in answer.Providers)
        {
            if (p.Key != target)
            {
                return DhtResponseFault.WrongKey;
            }

            // Whoever answers could name any peer a provider: each record must be signed by the provider it names.
            var verdict = _validator.ValidateProviderAnswer(p, now);
            if (verdict != RecordRejection.None)
            {
                _metrics.RefuseProviderAnswer(verdict);
                return DhtResponseFault.InvalidRecord;
            }
        }

        return null;
    }

    private async Task<DhtMessage> ExchangeAsync(DhtPeer peer, ReadOnlyMemory<byte> request, DhtMessageType expected, ExchangeCost cost, CancellationToken cancellationToken)
    {
        if (!TransportAddress.TryParse(peer.Address, out var address, out var error))
        {
            throw new TransportException(TransportError.UnsupportedAddress, $"Peer {peer.Id.ToShortString()} has no usable address: {error}");
        }

        var connection = await _pool.GetAsync(address.WithPeer(peer.Id), cancellationToken);
        var started = _time.GetTimestamp();
        DhtMessage? answer;
        DhtWireError wireError;
        cost.Sent = request.Length;
        using (var response = await connection.RequestAsync(ProtocolIds.Dht, request, RequestPriority, cancellationToken))
        {
            cost.Received = response.Payload.Length;
            DhtMessageCodec.TryDecode(response.Payload.Span, _options, out answer, out wireError);
        }

        var rttMs = _time.GetElapsedTime(started).TotalMilliseconds;
        cost.RttMs = rttMs;
        if (answer is null)
        {
            _metrics.DropResponse(DhtResponseFault.Malformed);
            throw new DhtProtocolException(DhtResponseFault.Malformed, $"Peer {peer.Id.ToShortString()} sent an undecodable response: {wireError}.");
        }

        if (answer.Type == DhtMessageType.Error)
        {
            _metrics.DropResponse(DhtResponseFault.ErrorReply);
            throw new DhtProtocolException(DhtResponseFault.ErrorReply, $"Peer {peer.Id.ToShortString()} refused the request: {answer.ErrorCode}.")
            {
                ErrorCode = answer.ErrorCode,
            };
        }

        if (answer.Type != expected)
        {
            _metrics.DropResponse(DhtResponseFault.UnexpectedType);
            throw new DhtProtocolException(DhtResponseFault.UnexpectedType, $"Peer {peer.Id.ToShortString()} answered with {answer.Type}, not {expected}.");
        }

        if (expected is not (DhtMessageType.Nodes or DhtMessageType.Value))
        {
            _onAnswer?.Invoke(peer.Id, answer.Coordinate, answer.CoordinateError, rttMs);
        }

        return answer;
    }

    /// <summary>What one exchange cost, filled in as it goes: bytes each way and the round trip (NaN until answered).</summary>
    private sealed class ExchangeCost(long started)
    {
        public long Started { get; } = started;

        public long Sent { get; set; }

        public long Received { get; set; }

        public double RttMs { get; set; } = double.NaN;
    }
}
