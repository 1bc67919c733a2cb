using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// The encoding of local-trust records (docs/PLACEMENT.md, "Local-trust records"). Big-endian integers:
/// <c>[version 1][issuer 32][issued Unix ms 8][entry count 2]</c>, then per entry <c>[PeerId 32][value float32 4]</c>
/// in ascending PeerId order, then <c>[signature length 2][identity signature]</c>. One record has one
/// encoding: entries are strictly sorted and every value is checked, so the signed bytes are the only bytes.
/// Decoding never throws: the length is checked against the most a record may hold before anything is read,
/// and each declared length against the bytes that remain.
/// </summary>
public static class TrustRecordCodec
{
    /// <summary>Encoding version written and read.</summary>
    public const byte Version = 1;

    /// <summary>Bytes before the entries: version, issuer, issue time, entry count.</summary>
    public const int HeaderSize = 1 + PeerId.Size + 8 + 2;

    /// <summary>Bytes per entry: PeerId and float32 value.</summary>
    public const int EntrySize = PeerId.Size + 4;

    /// <summary>Largest difference from 1 accepted in a row's sum: float32 rounding of 4096 entries stays far below it.</summary>
    public const double SumTolerance = 1e-3;

    private static readonly long MaxIssuedUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Domain-separation prefix of the signing payload, so a trust-record signature is never valid as another signed message.</summary>
    public static ReadOnlySpan<byte> SigningContext => "overlay/trust/record"u8;

    /// <summary>The most bytes a record with at most <paramref name="maxEntries"/> entries and a signature of any known scheme takes.</summary>
    public static int MaxEncodedLength(int maxEntries) => HeaderSize + (EntrySize * maxEntries) + 2 + IdentitySignature.MaxSize;

    /// <summary>Length of the encoding of <paramref name="record"/>.</summary>
    public static int EncodedLength(TrustRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return HeaderSize + (EntrySize * record.Vector.Count) + 2 + record.Signature.Length;
    }

    /// <summary>Length of the signing payload of a record of <paramref name="entries"/> entries.</summary>
    public static int SigningPayloadLength(int entries) => SigningContext.Length + HeaderSize + (EntrySize * entries);

    /// <summary>Writes the signing payload: the context, then the encoding up to and excluding the signature. Returns the bytes written.</summary>
    public static int WriteSigningPayload(PeerId issuer, long issuedUnixMs, LocalTrustVector vector, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(vector);
        SigningContext.CopyTo(destination);
        return SigningContext.Length + WriteUnsigned(issuer, issuedUnixMs, vector, destination[SigningContext.Length..]);
    }

    /// <summary>Encodes <paramref name="record"/>; returns the bytes written.</summary>
    public static int Encode(TrustRecord record, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (destination.Length < EncodedLength(record))
        {
            throw new ArgumentException("Destination too small for the record.", nameof(destination));
        }

        var n = WriteUnsigned(record.Issuer, record.IssuedUnixMs, record.Vector, destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[n..], (ushort)record.Signature.Length);
        record.Signature.CopyTo(destination[(n + 2)..]);
        return n + 2 + record.Signature.Length;
    }

    /// <summary>The encoding of <paramref name="record"/> as a new array.</summary>
    public static byte[] Encode(TrustRecord record)
    {
        var bytes = new byte[EncodedLength(record)];
        Encode(record, bytes);
        return bytes;
    }

    /// <summary>
    /// Decodes untrusted bytes into a record whose structure and values are valid (the signature is not
    /// checked here; <see cref="TrustRecordBook"/> does that). Returns <see cref="TrustRecordRejection.None"/>
    /// and the record, or the first reason the bytes are not a record. Never throws.
    /// </summary>
    public static TrustRecordRejection TryDecode(ReadOnlySpan<byte> bytes, int maxEntries, out TrustRecord? record)
    {
        record = null;
        if (bytes.Length > MaxEncodedLength(maxEntries))
        {
            return TrustRecordRejection.TooLarge;
        }

        if (bytes.Length < HeaderSize)
        {
            return TrustRecordRejection.Truncated;
        }

        if (bytes[0] != Version)
        {
            return TrustRecordRejection.UnsupportedVersion;
        }

        var issuer = PeerId.FromBytes(bytes.Slice(1, PeerId.Size));
        var issuedUnixMs = BinaryPrimitives.ReadInt64BigEndian(bytes[(1 + PeerId.Size)..]);
        int count = BinaryPrimitives.ReadUInt16BigEndian(bytes[(1 + PeerId.Size + 8)..]);
        if (count > maxEntries)
        {
            return TrustRecordRejection.TooManyEntries;
        }

        var signatureAt = HeaderSize + (EntrySize * count);
        if (bytes.Length < signatureAt + 2)
        {
            return TrustRecordRejection.Truncated;
        }

        int signatureLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[signatureAt..]);
        var signatureStart = signatureAt + 2;
        if (bytes.Length < signatureStart + signatureLength)
        {
            return TrustRecordRejection.Truncated;
        }

        if (bytes.Length > signatureStart + signatureLength)
        {
            return TrustRecordRejection.TrailingBytes;
        }

        var signature = bytes.Slice(signatureStart, signatureLength);
        if (signature.IsEmpty || !IdentitySignature.TryGetSize(signature[0], out var schemeSize) || schemeSize != signatureLength)
        {
            return TrustRecordRejection.SignatureLength;
        }

        if (issuedUnixMs < 0 || issuedUnixMs > MaxIssuedUnixMs)
        {
            return TrustRecordRejection.BadTimestamp;
        }

        var entries = new TrustEntry[count];
        var sum = 0.0;
        var previous = default(PeerId);
        for (var i = 0; i < count; i++)
        {
            var at = HeaderSize + (EntrySize * i);
            var peer = PeerId.FromBytes(bytes.Slice(at, PeerId.Size));
            var value = BinaryPrimitives.ReadSingleBigEndian(bytes[(at + PeerId.Size)..]);
            if (i > 0 && peer <= previous)
            {
                return TrustRecordRejection.Unsorted;
            }

            if (peer == issuer)
            {
                return TrustRecordRejection.NamesIssuer;
            }

            // The negated form also refuses NaN, which fails every comparison.
            if (!(value > 0 && value <= 1))
            {
                return TrustRecordRejection.BadValue;
            }

            entries[i] = new TrustEntry(peer, value);
            sum += value;
            previous = peer;
        }

        if (count > 0 && Math.Abs(sum - 1) > SumTolerance)
        {
            return TrustRecordRejection.NotNormalised;
        }

        record = new TrustRecord(issuer, issuedUnixMs, new LocalTrustVector(entries), signature.ToArray());
        return TrustRecordRejection.None;
    }

    private static int WriteUnsigned(PeerId issuer, long issuedUnixMs, LocalTrustVector vector, Span<byte> destination)
    {
        var entries = vector.Entries;
        destination[0] = Version;
        issuer.WriteTo(destination[1..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[(1 + PeerId.Size)..], issuedUnixMs);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(1 + PeerId.Size + 8)..], checked((ushort)entries.Length));
        var at = HeaderSize;
        foreach (var entry in entries)
        {
            entry.Peer.WriteTo(destination[at..]);
            BinaryPrimitives.WriteSingleBigEndian(destination[(at + PeerId.Size)..], entry.Value);
            at += EntrySize;
        }

        return at;
    }
}
