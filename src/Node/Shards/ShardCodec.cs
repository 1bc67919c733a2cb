using System.Buffers.Binary;
using System.Text;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// Encodes and decodes the fixed-layout headers of <c>shard/1</c> (docs/PROTOCOL.md, "Shard protocol").
/// All integers are big-endian. Decoding never throws on peer bytes: it returns false with a
/// <see cref="ShardWireError"/>.
/// </summary>
public static class ShardCodec
{
    /// <summary>A fetch length meaning "everything from the offset on".</summary>
    public const long ToEnd = uint.MaxValue;

    /// <summary>Bytes of an audit nonce and of its answer.</summary>
    public const int NonceBytes = 32;

    /// <summary>Latest expiry a request may carry: 9999-12-31T23:59:59.999Z, in milliseconds since the Unix epoch.</summary>
    public const long MaxExpiryMilliseconds = 253_402_300_799_999;

    /// <summary>Most bytes of the sentence a refusal carries.</summary>
    public const int MaxRefusalMessageBytes = 255;

    /// <summary>Body bytes after the operation byte: id 32, size 4, expiry 8.</summary>
    public const int StoreBodyBytes = 32 + 4 + 8;

    /// <summary>Body bytes after the operation byte: id 32, offset 4, length 4.</summary>
    public const int FetchBodyBytes = 32 + 4 + 4;

    /// <summary>Body bytes after the operation byte: id 32, nonce 32.</summary>
    public const int AuditBodyBytes = 32 + NonceBytes;

    /// <summary>Body bytes after the operation byte: id 32, expiry 8.</summary>
    public const int RenewBodyBytes = 32 + 8;

    /// <summary>Fixed body bytes after the operation byte: id 32, size 4, expiry 8, source address length 1 (the address follows).</summary>
    public const int PullBodyBytes = 32 + 4 + 8 + 1;

    /// <summary>Longest source address a pull carries, in UTF-8 bytes.</summary>
    public const int MaxSourceAddressBytes = 255;

    /// <summary>Longest request header, operation byte included (a pull with the longest source address).</summary>
    public const int MaxRequestBytes = 1 + PullBodyBytes + MaxSourceAddressBytes;

    /// <summary>Bytes that follow the operation byte <paramref name="operation"/>; -1 for a byte that names no operation.</summary>
    public static int BodyLength(byte operation) => operation switch
    {
        (byte)ShardOperation.Store => StoreBodyBytes,
        (byte)ShardOperation.Fetch => FetchBodyBytes,
        (byte)ShardOperation.Audit => AuditBodyBytes,
        (byte)ShardOperation.Renew => RenewBodyBytes,
        (byte)ShardOperation.Pull => PullBodyBytes,
        _ => -1,
    };

    /// <summary>
    /// Bytes that follow the fixed body of <paramref name="fixedHeader"/> (operation byte and fixed body):
    /// a pull's source address, whose length is the body's last byte; 0 for every other operation.
    /// </summary>
    public static int TrailerLength(ReadOnlySpan<byte> fixedHeader) =>
        fixedHeader.Length == 1 + PullBodyBytes && fixedHeader[0] == (byte)ShardOperation.Pull ? fixedHeader[PullBodyBytes] : 0;

    /// <summary>The header of a renewal of the opener's hold of shard <paramref name="id"/> until <paramref name="expiresAt"/>.</summary>
    public static byte[] EncodeRenew(ShardId id, DateTimeOffset expiresAt)
    {
        var bytes = new byte[1 + RenewBodyBytes];
        bytes[0] = (byte)ShardOperation.Renew;
        id.WriteTo(bytes.AsSpan(1));
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(33), expiresAt.ToUnixTimeMilliseconds());
        return bytes;
    }

    /// <summary>The header of a pull: copy shard <paramref name="id"/> of <paramref name="size"/> bytes from <paramref name="source"/> and keep it for the opener until <paramref name="expiresAt"/>.</summary>
    public static byte[] EncodePull(ShardId id, int size, DateTimeOffset expiresAt, string source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentException.ThrowIfNullOrEmpty(source);
        var address = Encoding.UTF8.GetBytes(source);
        if (address.Length > MaxSourceAddressBytes)
        {
            throw new ArgumentException($"A source address is at most {MaxSourceAddressBytes} bytes, not {address.Length}.", nameof(source));
        }

        var bytes = new byte[1 + PullBodyBytes + address.Length];
        bytes[0] = (byte)ShardOperation.Pull;
        id.WriteTo(bytes.AsSpan(1));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(33), (uint)size);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(37), expiresAt.ToUnixTimeMilliseconds());
        bytes[PullBodyBytes] = (byte)address.Length;
        address.CopyTo(bytes, 1 + PullBodyBytes);
        return bytes;
    }

    /// <summary>The header of a store of <paramref name="size"/> bytes of shard <paramref name="id"/>, kept until <paramref name="expiresAt"/>.</summary>
    public static byte[] EncodeStore(ShardId id, int size, DateTimeOffset expiresAt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var bytes = new byte[1 + StoreBodyBytes];
        bytes[0] = (byte)ShardOperation.Store;
        id.WriteTo(bytes.AsSpan(1));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(33), (uint)size);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(37), expiresAt.ToUnixTimeMilliseconds());
        return bytes;
    }

    /// <summary>The header of a fetch of up to <paramref name="length"/> bytes (<see cref="ToEnd"/>: all) from <paramref name="offset"/>.</summary>
    public static byte[] EncodeFetch(ShardId id, long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, uint.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ToEnd);
        var bytes = new byte[1 + FetchBodyBytes];
        bytes[0] = (byte)ShardOperation.Fetch;
        id.WriteTo(bytes.AsSpan(1));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(33), (uint)offset);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(37), (uint)length);
        return bytes;
    }

    /// <summary>The header of an audit of shard <paramref name="id"/> with the challenge key <paramref name="nonce"/> (32 bytes).</summary>
    public static byte[] EncodeAudit(ShardId id, ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceBytes)
        {
            throw new ArgumentException($"An audit nonce is {NonceBytes} bytes, not {nonce.Length}.", nameof(nonce));
        }

        var bytes = new byte[1 + AuditBodyBytes];
        bytes[0] = (byte)ShardOperation.Audit;
        id.WriteTo(bytes.AsSpan(1));
        nonce.CopyTo(bytes.AsSpan(33));
        return bytes;
    }

    /// <summary>
    /// Decodes a whole request header (operation byte and body). False for an unknown operation, a
    /// length that does not match it, or an expiry outside 0..<see cref="MaxExpiryMilliseconds"/>.
    /// </summary>
    public static bool TryDecodeRequest(ReadOnlySpan<byte> header, out ShardRequest request, out ShardWireError error)
    {
        request = default;
        if (header.IsEmpty)
        {
            error = ShardWireError.Empty;
            return false;
        }

        var body = BodyLength(header[0]);
        if (body < 0)
        {
            error = ShardWireError.UnknownOperation;
            return false;
        }

        if (header.Length < 1 + body || header.Length != 1 + body + TrailerLength(header[..(1 + body)]))
        {
            error = ShardWireError.Truncated;
            return false;
        }

        var id = ShardId.FromBytes(header.Slice(1, ShardId.Size));
        var rest = header[(1 + ShardId.Size)..];
        switch ((ShardOperation)header[0])
        {
            case ShardOperation.Store:
                var size = BinaryPrimitives.ReadUInt32BigEndian(rest);
                var expiry = BinaryPrimitives.ReadInt64BigEndian(rest[4..]);
                if (expiry is < 0 or > MaxExpiryMilliseconds)
                {
                    error = ShardWireError.ExpiryOutOfRange;
                    return false;
                }

                if (size > int.MaxValue)
                {
                    error = ShardWireError.SizeOutOfRange;
                    return false;
                }

                request = new ShardRequest(ShardOperation.Store, id, (int)size, DateTimeOffset.FromUnixTimeMilliseconds(expiry), 0, 0, default);
                break;
            case ShardOperation.Renew:
                var renewal = BinaryPrimitives.ReadInt64BigEndian(rest);
                if (renewal is < 0 or > MaxExpiryMilliseconds)
                {
                    error = ShardWireError.ExpiryOutOfRange;
                    return false;
                }

                request = new ShardRequest(ShardOperation.Renew, id, 0, DateTimeOffset.FromUnixTimeMilliseconds(renewal), 0, 0, default);
                break;
            case ShardOperation.Pull:
                var pullSize = BinaryPrimitives.ReadUInt32BigEndian(rest);
                var pullExpiry = BinaryPrimitives.ReadInt64BigEndian(rest[4..]);
                if (pullExpiry is < 0 or > MaxExpiryMilliseconds)
                {
                    error = ShardWireError.ExpiryOutOfRange;
                    return false;
                }

                if (pullSize > int.MaxValue)
                {
                    error = ShardWireError.SizeOutOfRange;
                    return false;
                }

                var address = rest[13..];
                if (address.IsEmpty || !IsStrictUtf8(address))
                {
                    error = ShardWireError.BadAddress;
                    return false;
                }

                request = new ShardRequest(ShardOperation.Pull, id, (int)pullSize, DateTimeOffset.FromUnixTimeMilliseconds(pullExpiry), 0, 0, default, Encoding.UTF8.GetString(address));
                break;
            case ShardOperation.Fetch:
                request = new ShardRequest(ShardOperation.Fetch, id, 0, default,
                    BinaryPrimitives.ReadUInt32BigEndian(rest), BinaryPrimitives.ReadUInt32BigEndian(rest[4..]), default);
                break;
            default:
                request = new ShardRequest(ShardOperation.Audit, id, 0, default, 0, 0, rest[..NonceBytes].ToArray());
                break;
        }

        error = ShardWireError.None;
        return true;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool IsStrictUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            StrictUtf8.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>A refusal reply: the code, then a length byte and at most <see cref="MaxRefusalMessageBytes"/> bytes of UTF-8 (cut at a character boundary).</summary>
    public static byte[] EncodeRefusal(ShardRefusal refusal, string message)
    {
        if (refusal == ShardRefusal.None)
        {
            throw new ArgumentException("A refusal needs a reason other than None.", nameof(refusal));
        }

        ArgumentNullException.ThrowIfNull(message);
        var text = Encoding.UTF8.GetBytes(message);
        var length = Math.Min(text.Length, MaxRefusalMessageBytes);
        // Never end inside a multi-byte character: back off over continuation bytes.
        while (length < text.Length && length > 0 && (text[length] & 0xC0) == 0x80)
        {
            length--;
        }

        var bytes = new byte[2 + length];
        bytes[0] = (byte)refusal;
        bytes[1] = (byte)length;
        text.AsSpan(0, length).CopyTo(bytes.AsSpan(2));
        return bytes;
    }

    /// <summary>Reads a refusal code from the wire; a code this node does not know reads as <see cref="ShardRefusal.Failed"/>.</summary>
    public static ShardRefusal ReadRefusal(byte code) =>
        code is >= (byte)ShardRefusal.Quota and <= (byte)ShardRefusal.Failed ? (ShardRefusal)code : ShardRefusal.Failed;

    /// <summary>The counter tag of a refusal (snake case).</summary>
    public static string Tag(ShardRefusal refusal) => refusal switch
    {
        ShardRefusal.Quota => "quota",
        ShardRefusal.Size => "size",
        ShardRefusal.Rate => "rate",
        ShardRefusal.Unwilling => "unwilling",
        ShardRefusal.Mismatch => "mismatch",
        ShardRefusal.NotFound => "not_found",
        ShardRefusal.Malformed => "malformed",
        ShardRefusal.Range => "range",
        ShardRefusal.Failed => "failed",
        _ => "none",
    };
}
