using System.Buffers.Binary;
using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The asking side of <c>shard/1</c>: store a shard on a holder and check its receipt, fetch bytes,
/// and put an audit challenge. It trusts nothing a holder sends: receipts are checked against what was
/// sent and signed by the holder the connection authenticated; fetched shards are hashed as they arrive
/// and compared with their id. Every operation is one bulk stream, bounded by the stream timeout.
/// </summary>
public sealed class ShardExchangeClient
{
    /// <summary>Largest receipt accepted: a hybrid key and signature with room to spare.</summary>
    public const int MaxReceiptBytes = 8192;

    private readonly PeerId _self;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    /// <summary>Creates a client that stores as <paramref name="self"/>, bounding each stream by <paramref name="timeout"/> on <paramref name="time"/>.</summary>
    public ShardExchangeClient(PeerId self, TimeSpan timeout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _self = self;
        _timeout = timeout;
        _time = time;
    }

    /// <summary>The node this client asks as (the owner its receipts must name).</summary>
    public PeerId Self => _self;

    /// <summary>
    /// Stores <paramref name="data"/> (whose id is <paramref name="id"/>) on the peer of <paramref name="connection"/>
    /// until <paramref name="expiresAt"/>, and returns its receipt once checked.
    /// </summary>
    /// <exception cref="ShardExchangeException">The holder refused (its typed reason), or its receipt did not check out (<see cref="ShardExchangeException.Rejection"/>).</exception>
    /// <exception cref="TransportException">The stream failed.</exception>
    public async Task<StorageReceipt> StoreAsync(ITransportConnection connection, ShardId id, ReadOnlyMemory<byte> data, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var timeout = Bound(cancellationToken, out var token);
        var peer = connection.RemotePeer;
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, token);
        await using (stream)
        {
            await stream.WriteAsync(ShardCodec.EncodeStore(id, data.Length, expiresAt), token);
            await ShardStreams.ReadStatusAsync(stream, peer, token);
            await stream.WriteAsync(data, token);
            await stream.CompleteWritesAsync(token);
            return await ReadReceiptAsync(stream, peer, id, data.Length, token);
        }
    }

    /// <summary>Asks the peer of <paramref name="connection"/> to keep shard <paramref name="id"/> (<paramref name="size"/> bytes), which it holds for this node already, until <paramref name="expiresAt"/>; returns the new receipt once checked.</summary>
    /// <exception cref="ShardExchangeException">The holder refused (NotFound: it does not keep the shard for this node), or its receipt did not check out.</exception>
    /// <exception cref="TransportException">The stream failed.</exception>
    public async Task<StorageReceipt> RenewAsync(ITransportConnection connection, ShardId id, int size, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var timeout = Bound(cancellationToken, out var token);
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, token);
        await using (stream)
        {
            await stream.WriteAsync(ShardCodec.EncodeRenew(id, expiresAt), token);
            await stream.CompleteWritesAsync(token);
            return await ReadReceiptAsync(stream, connection.RemotePeer, id, size, token);
        }
    }

    /// <summary>
    /// Asks the peer of <paramref name="connection"/> to copy shard <paramref name="id"/> (<paramref name="size"/> bytes)
    /// from <paramref name="source"/> (an address with <c>/p2p/PEERID</c>) and keep it for this node until
    /// <paramref name="expiresAt"/>; returns its receipt once checked.
    /// </summary>
    /// <exception cref="ShardExchangeException">The new holder refused (NotFound: the source did not give the shard), or its receipt did not check out.</exception>
    /// <exception cref="TransportException">The stream failed.</exception>
    public async Task<StorageReceipt> PullAsync(ITransportConnection connection, ShardId id, int size, DateTimeOffset expiresAt, TransportAddress source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(source);
        using var timeout = Bound(cancellationToken, out var token);
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, token);
        await using (stream)
        {
            await stream.WriteAsync(ShardCodec.EncodePull(id, size, expiresAt, source.ToString()), token);
            await stream.CompleteWritesAsync(token);
            return await ReadReceiptAsync(stream, connection.RemotePeer, id, size, token);
        }
    }

    private async Task<StorageReceipt> ReadReceiptAsync(TransportStream stream, PeerId peer, ShardId id, int size, CancellationToken token)
    {
        await ShardStreams.ReadStatusAsync(stream, peer, token);
        var length = new byte[2];
        if (!await ShardStreams.TryReadExactlyAsync(stream, length, token))
        {
            throw Rejected(ReceiptRejection.Malformed, $"{peer.ToShortString()} ended the stream before its receipt.");
        }

        var declared = BinaryPrimitives.ReadUInt16BigEndian(length);
        var bytes = new byte[Math.Min((int)declared, MaxReceiptBytes)];
        if (declared > MaxReceiptBytes || !await ShardStreams.TryReadExactlyAsync(stream, bytes, token))
        {
            throw Rejected(ReceiptRejection.Malformed, $"{peer.ToShortString()} sent a receipt cut short or of {declared} bytes.");
        }

        await ShardStreams.DrainAsync(stream, 0, token);
        return CheckReceipt(bytes, id, size, peer);
    }

    /// <summary>Decodes and checks a receipt for <paramref name="id"/> of <paramref name="size"/> bytes made out to this node by <paramref name="holder"/>.</summary>
    /// <exception cref="ShardExchangeException">The receipt is malformed or does not check out.</exception>
    public StorageReceipt CheckReceipt(ReadOnlySpan<byte> bytes, ShardId id, int size, PeerId holder)
    {
        if (!StorageReceipt.TryDecode(bytes, out var receipt, out var error))
        {
            throw Rejected(ReceiptRejection.Malformed, $"{holder.ToShortString()} sent a malformed receipt ({error}).");
        }

        var rejection = receipt.Check(id, size, _self, holder);
        return rejection == ReceiptRejection.None
            ? receipt
            : throw Rejected(rejection, $"{holder.ToShortString()} sent a receipt that does not hold ({rejection}).");
    }

    /// <summary>
    /// Fetches up to <paramref name="length"/> bytes of the shard from <paramref name="offset"/>
    /// (<see cref="ShardCodec.ToEnd"/>: all) into <paramref name="destination"/>, calling
    /// <paramref name="onBytes"/> with each piece as it arrives (so a caller can hash, and keep what
    /// arrived before a failure). Returns the shard's whole size as the holder states it. The bytes are
    /// what the holder sent: only the caller, with the whole shard, can verify them.
    /// </summary>
    /// <exception cref="ShardExchangeException">Refused, or the holder sent fewer bytes than it announced (Size), or more than the destination holds (Size).</exception>
    public Task<int> FetchAsync(
        ITransportConnection connection, ShardId id, long offset, long length, Memory<byte> destination, Action<ReadOnlyMemory<byte>>? onBytes, CancellationToken cancellationToken) =>
        FetchAsync(connection, id, offset, length, _ => destination, onBytes, cancellationToken);

    /// <summary>
    /// As the overload with a fixed destination, but the destination is asked of <paramref name="destinationFor"/>
    /// once the holder has announced the shard's whole size (its argument, not yet checked against
    /// anything: the caller bounds it), so a caller can size one buffer for the shard instead of one for
    /// the largest shard and a copy. An empty destination for a non-empty answer fails the fetch (Size).
    /// </summary>
    /// <exception cref="ShardExchangeException">As for the other overload.</exception>
    public async Task<int> FetchAsync(
        ITransportConnection connection, ShardId id, long offset, long length, Func<int, Memory<byte>> destinationFor, Action<ReadOnlyMemory<byte>>? onBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(destinationFor);
        using var timeout = Bound(cancellationToken, out var token);
        var peer = connection.RemotePeer;
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, token);
        await using (stream)
        {
            await stream.WriteAsync(ShardCodec.EncodeFetch(id, offset, length), token);
            await stream.CompleteWritesAsync(token);
            await ShardStreams.ReadStatusAsync(stream, peer, token);
            var size = await ShardStreams.ReadUInt32Async(stream, peer, token);
            var count = await ShardStreams.ReadUInt32Async(stream, peer, token);
            var expected = Math.Min(length, Math.Max(0, (long)size - offset));
            var destination = count == expected && size <= int.MaxValue ? destinationFor((int)size) : Memory<byte>.Empty;
            if (count != expected || count > destination.Length)
            {
                var due = count == expected ? destination.Length : expected;
                throw new ShardExchangeException(ShardRefusal.Size, $"{peer.ToShortString()} announced {count} bytes of a {size}-byte shard from offset {offset}; {due} were due.");
            }

            var received = 0;
            while (received < count)
            {
                var read = await stream.ReadAsync(destination[received..(int)count], token);
                if (read == 0)
                {
                    throw new ShardExchangeException(ShardRefusal.Size, $"{peer.ToShortString()} ended the stream after {received} of the {count} bytes it announced.");
                }

                onBytes?.Invoke(destination.Slice(received, read));
                received += read;
            }

            await ShardStreams.DrainAsync(stream, 0, token);
            return (int)size;
        }
    }

    /// <summary>
    /// Asks the peer of <paramref name="connection"/> whether it keeps each of <paramref name="ids"/> (strictly ascending,
    /// 1..<see cref="ShardProbeCodec.MaxIds"/>): one stream, answered from the holder's index without reading any shard.
    /// Returns each shard's size as the holder states it, in the order asked, -1 for one it does not keep.
    /// </summary>
    /// <exception cref="ShardExchangeException">
    /// Refused (Malformed from a holder that predates the operation), or the answer was malformed
    /// (Size, with <see cref="ShardExchangeException.WireError"/> saying how).
    /// </exception>
    public async Task<int[]> ProbeAsync(ITransportConnection connection, ShardId[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(ids);
        var request = ShardProbeCodec.EncodeRequest(ids);
        using var timeout = Bound(cancellationToken, out var token);
        var peer = connection.RemotePeer;
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, token);
        await using (stream)
        {
            await stream.WriteAsync(request, token);
            await stream.CompleteWritesAsync(token);
            await ShardStreams.ReadStatusAsync(stream, peer, token);
            var count = new byte[ShardProbeCodec.CountBytes];
            ShardWireError error;
            if (!await ShardStreams.TryReadExactlyAsync(stream, count, token))
            {
                error = ShardWireError.Truncated;
            }
            else if (!ShardProbeCodec.TryReadCount(count, out var declared, out error) || declared != ids.Length)
            {
                error = error == ShardWireError.None ? ShardWireError.ProbeAnswerCountMismatch : error;
            }
            else
            {
                var answer = new byte[ShardProbeCodec.CountBytes + (ids.Length * ShardProbeCodec.SizeBytes)];
                count.CopyTo(answer, 0);
                if (!await ShardStreams.TryReadExactlyAsync(stream, answer.AsMemory(ShardProbeCodec.CountBytes), token))
                {
                    error = ShardWireError.Truncated;
                }
                else if (!await ShardStreams.DrainAsync(stream, 0, token))
                {
                    error = ShardWireError.TrailingBytes;
                }
                else if (ShardProbeCodec.TryDecodeAnswer(answer, ids.Length, out var sizes, out error))
                {
                    return sizes;
                }
            }

            throw new ShardExchangeException(ShardRefusal.Size, $"{peer.ToShortString()} answered a probe of {ids.Length} shards malformed ({error}).") { WireError = error };
        }
    }

    /// <summary>Puts the challenge <paramref name="nonce"/> to the peer for shard <paramref name="id"/>; returns its 32-byte answer.</summary>
    /// <exception cref="ShardExchangeException">Refused (NotFound when it no longer holds the shard), or the answer was cut short.</exception>
    public async Task<byte[]> AuditAsync(ITransportConnection connection, ShardId id, ReadOnlyMemory<byte> nonce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var timeout = Bound(cancellationToken, out var token);
        var peer = connection.RemotePeer;
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, token);
        await using (stream)
        {
            await stream.WriteAsync(ShardCodec.EncodeAudit(id, nonce.Span), token);
            await stream.CompleteWritesAsync(token);
            await ShardStreams.ReadStatusAsync(stream, peer, token);
            var answer = new byte[ShardCodec.NonceBytes];
            if (!await ShardStreams.TryReadExactlyAsync(stream, answer, token))
            {
                throw new ShardExchangeException(ShardRefusal.Size, $"{peer.ToShortString()} cut its audit answer short.");
            }

            await ShardStreams.DrainAsync(stream, 0, token);
            return answer;
        }
    }

    private static ShardExchangeException Rejected(ReceiptRejection rejection, string message) =>
        new(ShardRefusal.Mismatch, message) { Rejection = rejection };

    private Deadline Bound(CancellationToken cancellationToken, out CancellationToken token)
    {
        var deadline = new Deadline(new CancellationTokenSource(_timeout, _time), cancellationToken);
        token = deadline.Token;
        return deadline;
    }

    /// <summary>The stream timeout on the injected clock, joined with the caller's token.</summary>
    private sealed class Deadline(CancellationTokenSource timer, CancellationToken caller) : IDisposable
    {
        private readonly CancellationTokenSource _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, timer.Token);

        public CancellationToken Token => _linked.Token;

        public void Dispose()
        {
            _linked.Dispose();
            timer.Dispose();
        }
    }
}
