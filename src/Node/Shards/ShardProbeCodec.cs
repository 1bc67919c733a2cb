using System.Buffers.Binary;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// The owner's batched probe in <c>shard/1</c> (docs/PROTOCOL.md, "Shard protocol", operation 6). Request:
/// the operation byte, a count (2 bytes, 1..<see cref="MaxIds"/>) and that many 32-byte shard ids in strictly
/// ascending order. Answer: status 0, the same count (2 bytes) and one 4-byte size per id in the request's
/// order, <see cref="NotHeld"/> for a shard the holder does not keep. All integers big-endian. Decoding never
/// throws on peer bytes: it returns false with a <see cref="ShardWireError"/>.
/// </summary>
public static class ShardProbeCodec
{
    /// <summary>Most shard ids one probe request names (a 32 KiB request); an owner with more on one holder sends several.</summary>
    public const int MaxIds = 1024;

    /// <summary>Bytes of the count that follows the operation byte (request) or the status byte (answer).</summary>
    public const int CountBytes = 2;

    /// <summary>Bytes of one entry of the answer.</summary>
    public const int SizeBytes = 4;

    /// <summary>The size an answer gives for a shard the holder does not keep.</summary>
    public const uint NotHeld = uint.MaxValue;

    /// <summary>The request naming <paramref name="ids"/>, which must be strictly ascending and 1..<see cref="MaxIds"/> long.</summary>
    public static byte[] EncodeRequest(ReadOnlySpan<ShardId> ids)
    {
        if (ids.IsEmpty || ids.Length > MaxIds)
        {
            throw new ArgumentException($"A probe names 1 to {MaxIds} shards, not {ids.Length}.", nameof(ids));
        }

        var bytes = new byte[1 + CountBytes + (ids.Length * ShardId.Size)];
        bytes[0] = (byte)ShardOperation.Probe;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (i > 0 && ids[i - 1] >= ids[i])
            {
                throw new ArgumentException("A probe's shard ids must be strictly ascending.", nameof(ids));
            }

            ids[i].WriteTo(bytes.AsSpan(1 + CountBytes + (i * ShardId.Size)));
        }

        return bytes;
    }

    /// <summary>Reads a count (the 2 bytes after the operation or status byte) and checks it is 1..<see cref="MaxIds"/>, before anything is allocated for the ids.</summary>
    public static bool TryReadCount(ReadOnlySpan<byte> bytes, out int count, out ShardWireError error)
    {
        count = 0;
        if (bytes.Length < CountBytes)
        {
            error = ShardWireError.Truncated;
            return false;
        }

        var declared = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (declared is 0 or > MaxIds)
        {
            error = ShardWireError.ProbeCountOutOfRange;
            return false;
        }

        count = declared;
        error = ShardWireError.None;
        return true;
    }

    /// <summary>Decodes the <paramref name="count"/> ids that follow a request's count: exactly that many, strictly ascending.</summary>
    public static bool TryDecodeIds(ReadOnlySpan<byte> bytes, int count, out ShardId[] ids, out ShardWireError error)
    {
        ids = [];
        if (count is <= 0 or > MaxIds)
        {
            error = ShardWireError.ProbeCountOutOfRange;
            return false;
        }

        if (bytes.Length != count * ShardId.Size)
        {
            error = bytes.Length < count * ShardId.Size ? ShardWireError.Truncated : ShardWireError.TrailingBytes;
            return false;
        }

        var decoded = new ShardId[count];
        for (var i = 0; i < count; i++)
        {
            decoded[i] = ShardId.FromBytes(bytes.Slice(i * ShardId.Size, ShardId.Size));
            if (i > 0 && decoded[i - 1] >= decoded[i])
            {
                error = ShardWireError.ProbeIdsUnsorted;
                return false;
            }
        }

        ids = decoded;
        error = ShardWireError.None;
        return true;
    }

    /// <summary>Decodes a whole request, operation byte included.</summary>
    public static bool TryDecodeRequest(ReadOnlySpan<byte> request, out ShardId[] ids, out ShardWireError error)
    {
        ids = [];
        if (request.IsEmpty)
        {
            error = ShardWireError.Empty;
            return false;
        }

        if (request[0] != (byte)ShardOperation.Probe)
        {
            error = ShardWireError.UnknownOperation;
            return false;
        }

        return TryReadCount(request[1..], out var count, out error) && TryDecodeIds(request[(1 + CountBytes)..], count, out ids, out error);
    }

    /// <summary>The answer (status byte included) giving <paramref name="sizes"/> in the request's order; <see cref="NotHeld"/> for a shard not kept.</summary>
    public static byte[] EncodeAnswer(ReadOnlySpan<uint> sizes)
    {
        if (sizes.IsEmpty || sizes.Length > MaxIds)
        {
            throw new ArgumentException($"A probe answer has 1 to {MaxIds} entries, not {sizes.Length}.", nameof(sizes));
        }

        var bytes = new byte[1 + CountBytes + (sizes.Length * SizeBytes)];
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)sizes.Length);
        for (var i = 0; i < sizes.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1 + CountBytes + (i * SizeBytes)), sizes[i]);
        }

        return bytes;
    }

    /// <summary>
    /// Decodes an answer after its status byte (count and sizes) to a request of <paramref name="asked"/> ids:
    /// the count must be <paramref name="asked"/>, each size ≤ <see cref="int.MaxValue"/> or <see cref="NotHeld"/>,
    /// and nothing may follow. <paramref name="sizes"/> gets -1 for a shard not held.
    /// </summary>
    public static bool TryDecodeAnswer(ReadOnlySpan<byte> bytes, int asked, out int[] sizes, out ShardWireError error)
    {
        sizes = [];
        if (!TryReadCount(bytes, out var count, out error))
        {
            return false;
        }

        if (count != asked)
        {
            error = ShardWireError.ProbeAnswerCountMismatch;
            return false;
        }

        var body = bytes[CountBytes..];
        if (body.Length != count * SizeBytes)
        {
            error = body.Length < count * SizeBytes ? ShardWireError.Truncated : ShardWireError.TrailingBytes;
            return false;
        }

        var decoded = new int[count];
        for (var i = 0; i < count; i++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(body[(i * SizeBytes)..]);
            if (size > int.MaxValue && size != NotHeld)
            {
                error = ShardWireError.ProbeAnswerSizeOutOfRange;
                return false;
            }

            decoded[i] = size == NotHeld ? -1 : (int)size;
        }

        sizes = decoded;
        error = ShardWireError.None;
        return true;
    }
}
