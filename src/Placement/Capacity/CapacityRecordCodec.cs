using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Placement.Capacity;

/// <summary>
/// The encoding of capacity records (docs/PLACEMENT.md, "Capacity records"), big-endian:
/// <c>[version 1][issuer 32][issued Unix ms 8][free bytes 8][total bytes 8][signature length 2][identity signature]</c>.
/// Every field has one valid encoding, so the signed bytes are the only bytes. Decoding never throws: the length
/// is checked against the largest record before anything is read.
/// </summary>
public static class CapacityRecordCodec
{
    /// <summary>Encoding version written and read.</summary>
    public const byte Version = 1;

    /// <summary>Bytes before the signature: version, issuer, issue time, free and total bytes.</summary>
    public const int BodySize = 1 + PeerId.Size + 8 + 8 + 8;

    /// <summary>Largest store size a record may state: 1 EiB, far beyond any disk, small enough that sums of a few cannot overflow.</summary>
    public const long MaxTotalBytes = 1L << 60;

    /// <summary>Most bytes a record takes with a signature of any known scheme (3,433 with the hybrid one).</summary>
    public const int MaxEncodedLength = BodySize + 2 + IdentitySignature.MaxSize;

    private static readonly long MaxIssuedUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Domain-separation prefix of the signing payload, so a capacity-record signature is never valid as another signed message.</summary>
    public static ReadOnlySpan<byte> SigningContext => "overlay/capacity/record"u8;

    /// <summary>Length of the signing payload.</summary>
    public static int SigningPayloadLength => SigningContext.Length + BodySize;

    /// <summary>Writes the signing payload: the context, then the encoding up to and excluding the signature. Returns the bytes written.</summary>
    public static int WriteSigningPayload(PeerId issuer, long issuedUnixMs, long freeBytes, long totalBytes, Span<byte> destination)
    {
        SigningContext.CopyTo(destination);
        return SigningContext.Length + WriteBody(issuer, issuedUnixMs, freeBytes, totalBytes, destination[SigningContext.Length..]);
    }

    /// <summary>The encoding of <paramref name="record"/> as a new array.</summary>
    public static byte[] Encode(CapacityRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var bytes = new byte[BodySize + 2 + record.Signature.Length];
        var n = WriteBody(record.Issuer, record.IssuedUnixMs, record.FreeBytes, record.TotalBytes, bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(n), (ushort)record.Signature.Length);
        record.Signature.CopyTo(bytes.AsSpan(n + 2));
        return bytes;
    }

    /// <summary>
    /// Decodes untrusted bytes into a record whose structure and values are valid (the signature is not checked
    /// here; <see cref="CapacityBook"/> does that). Returns <see cref="CapacityRecordRejection.None"/> and the record,
    /// or the first reason the bytes are not one. Never throws.
    /// </summary>
    public static CapacityRecordRejection TryDecode(ReadOnlySpan<byte> bytes, out CapacityRecord? record)
    {
        record = null;
        if (bytes.Length > MaxEncodedLength)
        {
            return CapacityRecordRejection.TooLarge;
        }

        if (bytes.Length < BodySize + 2)
        {
            return CapacityRecordRejection.Truncated;
        }

        if (bytes[0] != Version)
        {
            return CapacityRecordRejection.UnsupportedVersion;
        }

        int signatureLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[BodySize..]);
        if (bytes.Length < BodySize + 2 + signatureLength)
        {
            return CapacityRecordRejection.Truncated;
        }

        if (bytes.Length > BodySize + 2 + signatureLength)
        {
            return CapacityRecordRejection.TrailingBytes;
        }

        var signature = bytes.Slice(BodySize + 2, signatureLength);
        if (signature.IsEmpty || !IdentitySignature.TryGetSize(signature[0], out var schemeSize) || schemeSize != signatureLength)
        {
            return CapacityRecordRejection.SignatureLength;
        }

        var issuer = PeerId.FromBytes(bytes.Slice(1, PeerId.Size));
        var at = 1 + PeerId.Size;
        var issuedUnixMs = BinaryPrimitives.ReadInt64BigEndian(bytes[at..]);
        var free = BinaryPrimitives.ReadInt64BigEndian(bytes[(at + 8)..]);
        var total = BinaryPrimitives.ReadInt64BigEndian(bytes[(at + 16)..]);
        if (issuedUnixMs < 0 || issuedUnixMs > MaxIssuedUnixMs)
        {
            return CapacityRecordRejection.BadTimestamp;
        }

        if (total < 0 || total > MaxTotalBytes || free < 0 || free > total)
        {
            return CapacityRecordRejection.BadValue;
        }

        record = new CapacityRecord(issuer, issuedUnixMs, free, total, signature.ToArray());
        return CapacityRecordRejection.None;
    }

    private static int WriteBody(PeerId issuer, long issuedUnixMs, long freeBytes, long totalBytes, Span<byte> destination)
    {
        destination[0] = Version;
        issuer.WriteTo(destination[1..]);
        var at = 1 + PeerId.Size;
        BinaryPrimitives.WriteInt64BigEndian(destination[at..], issuedUnixMs);
        BinaryPrimitives.WriteInt64BigEndian(destination[(at + 8)..], freeBytes);
        BinaryPrimitives.WriteInt64BigEndian(destination[(at + 16)..], totalBytes);
        return BodySize;
    }
}
