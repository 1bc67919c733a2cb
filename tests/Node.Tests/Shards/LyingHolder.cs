using System.Buffers;
using System.Buffers.Binary;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests.Shards;

/// <summary>How a <see cref="LyingHolder"/> answers fetches and audits once it stops being honest.</summary>
public enum Lie
{
    None,
    OtherBytes,
    Truncate,
    ResetHalfway,
    StaleAuditCache,
    ForeignReceipt,
    ForgedReceipt,
    ReplayReceipt,
    Oversize,
}

/// <summary>
/// A holder that stores honestly (through the real handler) and then lies when fetched or audited,
/// as set by <see cref="Mode"/>. In <see cref="Lie.StaleAuditCache"/> it remembers every audit answer
/// it gave while it still had the bytes, and answers from that cache after dropping them.
/// </summary>
internal sealed class LyingHolder(IProtocolHandler real, ShardTestNode node) : IProtocolHandler
{
    private readonly Dictionary<string, byte[]> _answers = [];
    private readonly Dictionary<ShardId, byte[]> _receipts = [];

    public Lie Mode { get; set; }

    public List<long> FetchOffsets { get; } = [];

    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken) =>
        real.HandleRequestAsync(connection, request, response, cancellationToken);

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        real.HandleMessageAsync(connection, message, cancellationToken);

    public async ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken)
    {
        if (Mode == Lie.None && !_intercepting)
        {
            await real.HandleStreamAsync(connection, stream, cancellationToken);
            return;
        }

        var op = new byte[1];
        Assert.True(await ShardStreams.TryReadExactlyAsync(stream, op, cancellationToken));
        var header = new byte[1 + ShardCodec.BodyLength(op[0])];
        header[0] = op[0];
        Assert.True(await ShardStreams.TryReadExactlyAsync(stream, header.AsMemory(1), cancellationToken));
        Assert.True(ShardCodec.TryDecodeRequest(header, out var request, out _));
        if (request.Operation == ShardOperation.Audit)
        {
            await AuditAsync(stream, request, cancellationToken);
            return;
        }

        if (request.Operation == ShardOperation.Renew)
        {
            // Answers every renewal with the receipt it gave at store time: validly signed, for the right shard, but old.
            var old = _receipts[request.Id];
            var replay = new byte[3 + old.Length];
            BinaryPrimitives.WriteUInt16BigEndian(replay.AsSpan(1), (ushort)old.Length);
            old.CopyTo(replay, 3);
            await stream.WriteAsync(replay, cancellationToken);
            await stream.CompleteWritesAsync(cancellationToken);
            return;
        }

        if (request.Operation == ShardOperation.Store)
        {
            await StoreAsync(stream, request, cancellationToken);
            return;
        }

        Assert.Equal(ShardOperation.Fetch, request.Operation);
        FetchOffsets.Add(request.Offset);
        node.Store.TryGetInfo(request.Id, out var info);
        var bytes = new byte[info.Size - (int)request.Offset];
        node.Store.ReadRange(request.Id, request.Offset, bytes);
        var reply = new byte[9];
        // Oversize: claims a shard of about 2 GiB from the offset asked for, so a fetcher that sized its buffer by the claim would allocate that much.
        var claimed = Mode == Lie.Oversize ? OversizeClaim : (uint)info.Size;
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(1), claimed);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(5), claimed - (uint)request.Offset);
        await stream.WriteAsync(reply, cancellationToken);
        switch (Mode)
        {
            case Lie.OtherBytes:
                bytes[bytes.Length / 2] ^= 0x40;
                await stream.WriteAsync(bytes, cancellationToken);
                break;
            case Lie.Truncate:
                await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), cancellationToken);
                break;
            case Lie.ResetHalfway:
                await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), cancellationToken);
                throw new InvalidOperationException("the holder dies mid-stream");
            default:
                await stream.WriteAsync(bytes, cancellationToken);
                break;
        }

        await stream.CompleteWritesAsync(cancellationToken);
    }

    private bool _intercepting;

    /// <summary>The shard size an <see cref="Lie.Oversize"/> liar claims.</summary>
    public const uint OversizeClaim = 0x7FFF_0000;

    /// <summary>From now on, fetches and audits are answered here even while honest: fetch offsets are recorded, audit answers remembered.</summary>
    public void Intercept() => _intercepting = true;

    // Takes the bytes, then answers with a receipt for another shard, or with a signature that is not the holder's.
    private async Task StoreAsync(TransportStream stream, ShardRequest request, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(new byte[1], cancellationToken);
        var sink = new byte[request.Size];
        Assert.True(await ShardStreams.TryReadExactlyAsync(stream, sink, cancellationToken));
        var shard = Mode == Lie.ForeignReceipt ? ShardId.Compute([1, 2, 3]) : request.Id;
        var receipt = StorageReceipt.Issue(node.Identity, shard, request.Size, Owner, request.ExpiresAt, 1).Encode();
        if (Mode == Lie.ForgedReceipt)
        {
            receipt[^10] ^= 1;
        }

        _receipts[request.Id] = receipt;

        var reply = new byte[3 + receipt.Length];
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(1), (ushort)receipt.Length);
        receipt.CopyTo(reply, 3);
        await stream.WriteAsync(reply, cancellationToken);
        await stream.CompleteWritesAsync(cancellationToken);
    }

    /// <summary>The owner receipts are made out to (the peer storing).</summary>
    public Overlay.Crypto.PeerId Owner { get; set; }

    private async Task AuditAsync(TransportStream stream, ShardRequest request, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexString(request.Nonce.Span);
        var reply = new byte[33];
        if (node.Store.TryGetInfo(request.Id, out var info))
        {
            var bytes = new byte[info.Size];
            node.Store.Read(request.Id, bytes);
            ShardAudit.Answer(request.Nonce.Span, request.Id, bytes, reply.AsSpan(1));
            _answers[key] = reply[1..];
        }
        else if (_answers.TryGetValue(key, out var cached))
        {
            cached.CopyTo(reply, 1);
        }
        else
        {
            // Dropped the bytes and never saw this nonce: the best it can do is send a remembered answer.
            _answers.Values.FirstOrDefault()?.CopyTo(reply, 1);
        }

        await stream.WriteAsync(reply, cancellationToken);
        await stream.CompleteWritesAsync(cancellationToken);
    }
}
