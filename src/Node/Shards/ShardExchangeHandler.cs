using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Hosting;
using Overlay.Node.Configuration;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The holder's side of <c>shard/1</c> (docs/PROTOCOL.md, "Shard protocol"): serves the streams peers
/// open to store, fetch and audit shards. Each stream is bounded by <see cref="ShardExchangeOptions.StreamTimeout"/>;
/// bad headers are refused Malformed and counted, and the connection and every other stream go on.
/// </summary>
public sealed class ShardExchangeHandler : IProtocolHandler
{
    private readonly IShardStore _store;
    private readonly ShardExchangeOptions _options;
    private readonly StoreAdmission _admission;
    private readonly TimeProvider _time;
    private readonly ShardExchangeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ReceiptIssuer _receipts;
    private readonly ShardRenewAndPull _renewAndPull;
    private readonly Action<ShardId>? _held;

    /// <summary>Most bytes read and dropped while waiting for the asker's end (a refused store's sender sends none).</summary>
    private const int MaxDrainBytes = 64 * 1024;

    /// <summary>
    /// Creates the handler of a node that keeps shards in <paramref name="store"/> (up to <paramref name="maxShardBytes"/> each) and signs receipts as <paramref name="identity"/>.
    /// <paramref name="connect"/> reaches the source of a pull (null: pulls are refused Unwilling); <paramref name="held"/> is told each shard newly kept (to announce it).
    /// </summary>
    public ShardExchangeHandler(
        NodeIdentity identity, IShardStore store, int maxShardBytes, ShardExchangeOptions options, TimeProvider time, ShardExchangeMetrics metrics, ILogger logger,
        Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>>? connect = null, Action<ShardId>? held = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _admission = new StoreAdmission(options, maxShardBytes, time);
        _receipts = new ReceiptIssuer(identity);
        _held = held;
        _renewAndPull = new ShardRenewAndPull(identity.PeerId, store, maxShardBytes, options, _admission, _receipts, connect, time, metrics, held);
    }

    /// <inheritdoc/>
    /// <remarks><c>shard/1</c> is a bulk protocol: the transport refuses its requests before they get here.</remarks>
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <inheritdoc/>
    public async ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(stream);
        using var timeout = new CancellationTokenSource(_options.StreamTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        var peer = connection.RemotePeer;
        try
        {
            var header = new byte[ShardCodec.MaxRequestBytes];
            if (!await ShardStreams.TryReadExactlyAsync(stream, header.AsMemory(0, 1), token))
            {
                await RefuseAsync(stream, peer, ShardRefusal.Malformed, "The stream ended before a request.", token);
                return;
            }

            if (header[0] == (byte)ShardOperation.Probe)
            {
                if (await ProbeAsync(stream, peer, token))
                {
                    await ShardStreams.DrainAsync(stream, MaxDrainBytes, token);
                }

                return;
            }

            var body = ShardCodec.BodyLength(header[0]);
            if (body < 0)
            {
                await RefuseAsync(stream, peer, ShardRefusal.Malformed, $"{header[0]} names no shard/1 operation.", token);
                return;
            }

            var trailer = 0;
            if (!await ShardStreams.TryReadExactlyAsync(stream, header.AsMemory(1, body), token)
                || !await ShardStreams.TryReadExactlyAsync(stream, header.AsMemory(1 + body, trailer = ShardCodec.TrailerLength(header.AsSpan(0, 1 + body))), token)
                || !ShardCodec.TryDecodeRequest(header.AsSpan(0, 1 + body + trailer), out var request, out _))
            {
                await RefuseAsync(stream, peer, ShardRefusal.Malformed, "The request header is cut short or out of range.", token);
                return;
            }

            switch (request.Operation)
            {
                case ShardOperation.Renew:
                case ShardOperation.Pull:
                    var (refusal, reason) = request.Operation == ShardOperation.Renew
                        ? await _renewAndPull.RenewAsync(stream, peer, request, token)
                        : await _renewAndPull.PullAsync(stream, peer, connection.RemoteAddress, request, token);
                    if (refusal != ShardRefusal.None)
                    {
                        await RefuseAsync(stream, peer, refusal, reason, token);
                        return;
                    }

                    break;
                case ShardOperation.Store:
                    await StoreAsync(stream, peer, connection.RemoteAddress, request, token);
                    break;
                case ShardOperation.Fetch:
                    await FetchAsync(stream, peer, request, token);
                    break;
                default:
                    await AuditAsync(stream, peer, request, token);
                    break;
            }

            // Wait for the asker's end (a fetch or audit asker ends right after its header; a refused
            // sender once it read the refusal), so returning never resets an answer still in flight.
            await ShardStreams.DrainAsync(stream, MaxDrainBytes, token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The peer stalled past StreamTimeout: its stream is reset when this returns, everyone else goes on.
            _metrics.Aborted();
            Log.ShardStreamAborted(_logger, peer, TransportError.Timeout);
        }
        catch (TransportException e)
        {
            _metrics.Aborted();
            Log.ShardStreamAborted(_logger, peer, e.Reason);
        }
    }

    private async ValueTask StoreAsync(TransportStream stream, PeerId peer, TransportAddress remote, ShardRequest request, CancellationToken token)
    {
        var now = _time.GetUtcNow();
        if (request.ExpiresAt <= now)
        {
            await RefuseAsync(stream, peer, ShardRefusal.Unwilling, "The expiry asked for is already past.", token);
            return;
        }

        var (refusal, reason, scope, ticket) = _admission.Admit(_store, peer, remote, request.Id, request.Size);
        if (refusal != ShardRefusal.None)
        {
            if (refusal == ShardRefusal.Quota)
            {
                _metrics.QuotaRefused(scope);
            }

            await RefuseAsync(stream, peer, refusal, reason, token);
            return;
        }

        using var admitted = ticket;

        // The go-ahead: only now does the sender send the shard, so a refused store costs no bulk bytes.
        await stream.WriteAsync(new byte[1], token);
        var granted = request.ExpiresAt < now + _options.MaxHoldDuration ? request.ExpiresAt : now + _options.MaxHoldDuration;
        var data = new AnnouncedLengthStream(stream, request.Size);
        try
        {
            await _store.PutAsync(data, new ShardPutOptions(granted, Owner: peer, OwnerCapacityBytes: _options.MaxBytesPerPeer, ExpectedId: request.Id), token)
                ;
        }
        catch (IOException) when (data.Problem is { } problem)
        {
            await RefuseAsync(stream, peer, ShardRefusal.Size, $"The shard was not stored: {problem}.", token);
            return;
        }
        catch (StorageException e)
        {
            var (code, sentence) = ReceiptIssuer.RefusalOf(e.Reason);
            await RefuseAsync(stream, peer, code, sentence, token);
            return;
        }

        await stream.WriteAsync(_receipts.Reply(request.Id, request.Size, peer, granted, now), token);
        await stream.CompleteWritesAsync(token);
        _metrics.Held(request.Size);
        _held?.Invoke(request.Id);
        Log.ShardStored(_logger, request.Id, request.Size, peer);
    }

    private async ValueTask FetchAsync(TransportStream stream, PeerId peer, ShardRequest request, CancellationToken token)
    {
        if (!_store.TryGetInfo(request.Id, out var info))
        {
            await RefuseAsync(stream, peer, ShardRefusal.NotFound, "This node does not hold the shard.", token);
            return;
        }

        if (request.Offset > info.Size)
        {
            await RefuseAsync(stream, peer, ShardRefusal.Range, $"The shard is {info.Size} bytes; offset {request.Offset} is past its end.", token);
            return;
        }

        var count = (int)Math.Min(request.Length, info.Size - request.Offset);
        var buffer = ArrayPool<byte>.Shared.Rent(9 + count);
        try
        {
            // A whole shard is read straight into the reply; a range goes through the store's range read. A
            // zero-length fetch (the owner's probe) reads nothing: the store's hash of the whole shard on every
            // read would cost a full pass per probe, and a probe proves nothing about the bytes — audits do.
            var read = count == 0 ? new ShardReadResult(ShardReadStatus.Found, 0)
                : request.Offset == 0 && count == info.Size
                ? _store.Read(request.Id, buffer.AsSpan(9, count))
                : _store.ReadRange(request.Id, request.Offset, buffer.AsSpan(9, count));
            if (read.Status != ShardReadStatus.Found || read.Length != count)
            {
                // Corrupted (now quarantined by the store) or deleted since the lookup: either way not held.
                await RefuseAsync(stream, peer, ShardRefusal.NotFound, "This node does not hold the shard intact.", token);
                return;
            }

            buffer[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1), (uint)info.Size);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(5), (uint)count);
            await stream.WriteAsync(buffer.AsMemory(0, 9 + count), token);
            await stream.CompleteWritesAsync(token);
            _metrics.Served(count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Answers the owner's batched probe from the store's index, reading no shard (a probe shows presence; audits
    /// show the bytes). The count is checked before anything is allocated for the ids; a malformed probe is refused
    /// Malformed and counted by what was wrong. False when refused (the refusal has drained the stream).
    /// </summary>
    private async ValueTask<bool> ProbeAsync(TransportStream stream, PeerId peer, CancellationToken token)
    {
        var countBytes = new byte[ShardProbeCodec.CountBytes];
        ShardWireError error;
        if (!await ShardStreams.TryReadExactlyAsync(stream, countBytes, token))
        {
            error = ShardWireError.Truncated;
        }
        else if (ShardProbeCodec.TryReadCount(countBytes, out var count, out error))
        {
            var idBytes = new byte[count * ShardId.Size];
            if (!await ShardStreams.TryReadExactlyAsync(stream, idBytes, token))
            {
                error = ShardWireError.Truncated;
            }
            else if (ShardProbeCodec.TryDecodeIds(idBytes, count, out var ids, out error))
            {
                var sizes = new uint[count];
                var notHeld = 0;
                for (var i = 0; i < count; i++)
                {
                    if (_store.TryGetInfo(ids[i], out var info))
                    {
                        sizes[i] = (uint)info.Size;
                    }
                    else
                    {
                        sizes[i] = ShardProbeCodec.NotHeld;
                        notHeld++;
                    }
                }

                await stream.WriteAsync(ShardProbeCodec.EncodeAnswer(sizes), token);
                await stream.CompleteWritesAsync(token);
                _metrics.ProbeAnswered(count, notHeld);
                return true;
            }
        }

        _metrics.ProbeRefused(error);
        await RefuseAsync(stream, peer, ShardRefusal.Malformed, $"The probe is malformed ({error}).", token);
        return false;
    }

    private async ValueTask AuditAsync(TransportStream stream, PeerId peer, ShardRequest request, CancellationToken token)
    {
        if (!_store.TryGetInfo(request.Id, out var info))
        {
            await RefuseAsync(stream, peer, ShardRefusal.NotFound, "This node does not hold the shard.", token);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(info.Size, 1));
        try
        {
            var read = _store.Read(request.Id, buffer.AsSpan(0, info.Size));
            if (read.Status != ShardReadStatus.Found)
            {
                await RefuseAsync(stream, peer, ShardRefusal.NotFound, "This node does not hold the shard intact.", token);
                return;
            }

            var reply = new byte[1 + ShardCodec.NonceBytes];
            ShardAudit.Answer(request.Nonce.Span, request.Id, buffer.AsSpan(0, read.Length), reply.AsSpan(1));
            await stream.WriteAsync(reply, token);
            await stream.CompleteWritesAsync(token);
            _metrics.AuditAnswered();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask RefuseAsync(TransportStream stream, PeerId peer, ShardRefusal refusal, string reason, CancellationToken token)
    {
        _metrics.Refused(refusal);
        Log.ShardRefused(_logger, peer, refusal, reason);
        await ShardStreams.RefuseAsync(stream, refusal, reason, token);
        await ShardStreams.DrainAsync(stream, MaxDrainBytes, token);
    }
}
