using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// Canonical encodings of records (docs/PROTOCOL.md, "DHT records"). All integers are big-endian and
/// every variable field is length-prefixed, so one record has exactly one encoding and one signing
/// payload. Decoding never throws: it checks each declared length against the remaining bytes and the
/// configured maximum before copying anything.
/// </summary>
public static class RecordEncoding
{
    /// <summary>Encoding version written and read.</summary>
    public const byte Version = 1;

    /// <summary>Domain-separation prefix of the signing payload, so a record signature cannot be replayed as another signed message.</summary>
    public static ReadOnlySpan<byte> SigningContext => "overlay/dht/record"u8;

    /// <summary>Domain-separation prefix of a provider record's signing payload, apart from value records and every other signed message.</summary>
    public static ReadOnlySpan<byte> ProviderSigningContext => "overlay/dht/provider"u8;

    // version, kind, key, pk length, sequence, expiry, value length
    private const int ValueHeader = 1 + 1 + PeerId.Size + 2 + 8 + 8 + 4;

    // version, kind, key, provider, expiry, pk length; then the key, signature length, signature
    private const int ProviderHeader = 1 + 1 + PeerId.Size + PeerId.Size + 8 + 2;
    internal static readonly long MaxExpiryMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Length of the signing payload for a value and public key of the given lengths.</summary>
    public static int SigningPayloadLength(int valueLength, int publicKeyLength) =>
        SigningContext.Length + ValueHeader + publicKeyLength + valueLength;

    /// <summary>Writes the signing payload: the context, then the record encoding without its signature.</summary>
    public static int WriteSigningPayload(PeerId key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> publicKey, ulong sequence, long expiresUnixMs, Span<byte> destination)
    {
        SigningContext.CopyTo(destination);
        return SigningContext.Length + WriteUnsigned(key, value, publicKey, sequence, expiresUnixMs, destination[SigningContext.Length..]);
    }

    /// <summary>Writes <paramref name="record"/>'s signing payload; returns the bytes written.</summary>
    public static int WriteSigningPayload(DhtRecord record, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        return WriteSigningPayload(record.Key, record.Value.Span, record.PublisherPublicKey.Span, record.Sequence, record.ExpiresUnixMs, destination);
    }

    /// <summary>Encoded length of a value record.</summary>
    public static int EncodedLength(DhtRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ValueHeader + record.PublisherPublicKey.Length + record.Value.Length + 2 + record.Signature.Length;
    }

    /// <summary>Encoded length of a provider record.</summary>
    public static int EncodedLength(ProviderRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Batch is { } proof)
        {
            return ProviderBatchEncoding.BatchedLength(record, proof);
        }

        return ProviderHeader + record.ProviderPublicKey.Length + 2 + record.Signature.Length;
    }

    /// <summary>Length of a provider record's signing payload for a public key of <paramref name="publicKeyLength"/> bytes.</summary>
    public static int ProviderSigningPayloadLength(int publicKeyLength) => ProviderSigningContext.Length + ProviderHeader + publicKeyLength;

    /// <summary>
    /// Writes a provider record's signing payload: <see cref="ProviderSigningContext"/>, then the record's
    /// encoding up to and including the public key (everything but the signature). Returns the bytes written.
    /// </summary>
    public static int WriteProviderSigningPayload(PeerId key, PeerId provider, long expiresUnixMs, ReadOnlySpan<byte> publicKey, Span<byte> destination)
    {
        ProviderSigningContext.CopyTo(destination);
        return ProviderSigningContext.Length + WriteProviderUnsigned(key, provider, expiresUnixMs, publicKey, destination[ProviderSigningContext.Length..]);
    }

    /// <summary>Writes <paramref name="record"/>'s signing payload; returns the bytes written.</summary>
    public static int WriteProviderSigningPayload(ProviderRecord record, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        return WriteProviderSigningPayload(record.Key, record.Provider, record.ExpiresUnixMs, record.ProviderPublicKey.Span, destination);
    }

    /// <summary>Encodes a value record into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(DhtRecord record, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (destination.Length < EncodedLength(record))
        {
            throw new ArgumentException("Destination too small for the record.", nameof(destination));
        }

        var n = WriteUnsigned(record.Key, record.Value.Span, record.PublisherPublicKey.Span, record.Sequence, record.ExpiresUnixMs, destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[n..], (ushort)record.Signature.Length);
        record.Signature.Span.CopyTo(destination[(n + 2)..]);
        return n + 2 + record.Signature.Length;
    }

    /// <summary>Encodes a provider record into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(ProviderRecord record, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (destination.Length < EncodedLength(record))
        {
            throw new ArgumentException("Destination too small for the record.", nameof(destination));
        }

        if (record.Batch is { } proof)
        {
            return ProviderBatchEncoding.EncodeBatched(record, proof, destination);
        }

        var n = WriteProviderUnsigned(record.Key, record.Provider, record.ExpiresUnixMs, record.ProviderPublicKey.Span, destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[n..], (ushort)record.Signature.Length);
        record.Signature.Span.CopyTo(destination[(n + 2)..]);
        return n + 2 + record.Signature.Length;
    }

    /// <summary>Encodes a value record into a new array.</summary>
    public static byte[] Encode(DhtRecord record)
    {
        var bytes = new byte[EncodedLength(record)];
        Encode(record, bytes);
        return bytes;
    }

    /// <summary>Encodes a provider record into a new array.</summary>
    public static byte[] Encode(ProviderRecord record)
    {
        var bytes = new byte[EncodedLength(record)];
        Encode(record, bytes);
        return bytes;
    }

    /// <summary>
    /// Decodes one record of either kind from exactly <paramref name="source"/>, enforcing the size
    /// limits of <paramref name="options"/>. Exactly one of the outputs is set on success. Never throws.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, DhtOptions options, out DhtRecord? value, out ProviderRecord? provider, out RecordDecodeError error)
    {
        // A batch stands only in a STORE; anywhere else (an answer, saved state) its kind is not one of the records read.
        if (source.Length >= 2 && source[1] == (byte)RecordKind.ProviderBatch)
        {
            value = null;
            provider = null;
            error = RecordDecodeError.UnknownKind;
            return false;
        }

        return TryDecode(source, options, out value, out provider, out _, out error);
    }

    /// <summary>
    /// As <see cref="TryDecode(ReadOnlySpan{byte}, DhtOptions, out DhtRecord?, out ProviderRecord?, out RecordDecodeError)"/>,
    /// and a provider batch (kind 3) too, as a STORE carries it. Exactly one of the outputs is set on success. Never throws.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, DhtOptions options, out DhtRecord? value, out ProviderRecord? provider, out ProviderBatch? batch, out RecordDecodeError error)
    {
        ArgumentNullException.ThrowIfNull(options);
        value = null;
        provider = null;
        batch = null;
        if (source.Length < 2)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        if (source[0] != Version)
        {
            error = RecordDecodeError.UnsupportedVersion;
            return false;
        }

        switch ((RecordKind)source[1])
        {
            case RecordKind.Value:
                return TryDecodeValue(source, options, out value, out error);
            case RecordKind.Provider:
                return TryDecodeProvider(source, options, out provider, out error);
            case RecordKind.BatchedProvider:
                return ProviderBatchEncoding.TryDecodeBatched(source, options, out provider, out error);
            case RecordKind.ProviderBatch:
                return ProviderBatchEncoding.TryDecodeBatch(source, options, out batch, out error);
            default:
                error = RecordDecodeError.UnknownKind;
                return false;
        }
    }

    private static bool TryDecodeValue(ReadOnlySpan<byte> source, DhtOptions options, out DhtRecord? record, out RecordDecodeError error)
    {
        record = null;
        if (source.Length < ValueHeader)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var key = PeerId.FromBytes(source.Slice(2, PeerId.Size));
        var rest = source[(2 + PeerId.Size)..];
        int pkLength = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (pkLength == 0 || pkLength > options.MaxPublicKeyBytes)
        {
            error = RecordDecodeError.PublicKeyLength;
            return false;
        }

        rest = rest[2..];
        if (rest.Length < pkLength + 8 + 8 + 4)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var publicKey = rest[..pkLength];
        rest = rest[pkLength..];
        var sequence = BinaryPrimitives.ReadUInt64BigEndian(rest);
        var expires = BinaryPrimitives.ReadInt64BigEndian(rest[8..]);
        if (expires < 0 || expires > MaxExpiryMs)
        {
            error = RecordDecodeError.ExpiryOutOfRange;
            return false;
        }

        var valueLength = BinaryPrimitives.ReadUInt32BigEndian(rest[16..]);
        if (valueLength > (uint)options.MaxValueBytes)
        {
            error = RecordDecodeError.ValueTooLarge;
            return false;
        }

        rest = rest[20..];
        if ((uint)rest.Length < valueLength + 2)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var value = rest[..(int)valueLength];
        rest = rest[(int)valueLength..];
        error = ReadSignatureToEnd(ref rest, options);
        if (error != RecordDecodeError.None)
        {
            return false;
        }

        record = new DhtRecord(key, value.ToArray(), publicKey.ToArray(), sequence, expires, rest.ToArray());
        error = RecordDecodeError.None;
        return true;
    }

    private static bool TryDecodeProvider(ReadOnlySpan<byte> source, DhtOptions options, out ProviderRecord? record, out RecordDecodeError error)
    {
        record = null;
        if (source.Length < ProviderHeader)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var expires = BinaryPrimitives.ReadInt64BigEndian(source[(2 + (2 * PeerId.Size))..]);
        if (expires < 0 || expires > MaxExpiryMs)
        {
            error = RecordDecodeError.ExpiryOutOfRange;
            return false;
        }

        int pkLength = BinaryPrimitives.ReadUInt16BigEndian(source[(ProviderHeader - 2)..]);
        if (pkLength == 0 || pkLength > options.MaxPublicKeyBytes)
        {
            error = RecordDecodeError.PublicKeyLength;
            return false;
        }

        var rest = source[ProviderHeader..];
        if (rest.Length < pkLength + 2)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var publicKey = rest[..pkLength];
        rest = rest[pkLength..];
        error = ReadSignatureToEnd(ref rest, options);
        if (error != RecordDecodeError.None)
        {
            return false;
        }

        record = new ProviderRecord(
            PeerId.FromBytes(source.Slice(2, PeerId.Size)), PeerId.FromBytes(source.Slice(2 + PeerId.Size, PeerId.Size)), expires, publicKey.ToArray(), rest.ToArray());
        error = RecordDecodeError.None;
        return true;
    }

    // The record's last field: a signature length within the limit, then exactly that many bytes to the end.
    internal static RecordDecodeError ReadSignatureToEnd(ref ReadOnlySpan<byte> rest, DhtOptions options)
    {
        int signatureLength = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (signatureLength == 0 || signatureLength > options.MaxSignatureBytes)
        {
            return RecordDecodeError.SignatureLength;
        }

        rest = rest[2..];
        return rest.Length < signatureLength ? RecordDecodeError.Truncated
            : rest.Length > signatureLength ? RecordDecodeError.TrailingBytes
            : RecordDecodeError.None;
    }

    private static int WriteProviderUnsigned(PeerId key, PeerId provider, long expiresUnixMs, ReadOnlySpan<byte> publicKey, Span<byte> destination)
    {
        if (publicKey.Length > ushort.MaxValue)
        {
            throw new ArgumentException("A provider key is at most 65535 bytes.", nameof(publicKey));
        }

        destination[0] = Version;
        destination[1] = (byte)RecordKind.Provider;
        key.WriteTo(destination[2..]);
        provider.WriteTo(destination[(2 + PeerId.Size)..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[(2 + (2 * PeerId.Size))..], expiresUnixMs);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(ProviderHeader - 2)..], (ushort)publicKey.Length);
        publicKey.CopyTo(destination[ProviderHeader..]);
        return ProviderHeader + publicKey.Length;
    }

    private static int WriteUnsigned(PeerId key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> publicKey, ulong sequence, long expiresUnixMs, Span<byte> destination)
    {
        if (publicKey.Length > ushort.MaxValue)
        {
            throw new ArgumentException("A publisher key is at most 65535 bytes.", nameof(publicKey));
        }

        destination[0] = Version;
        destination[1] = (byte)RecordKind.Value;
        key.WriteTo(destination[2..]);
        var at = 2 + PeerId.Size;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)publicKey.Length);
        at += 2;
        publicKey.CopyTo(destination[at..]);
        at += publicKey.Length;
        BinaryPrimitives.WriteUInt64BigEndian(destination[at..], sequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[(at + 8)..], expiresUnixMs);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(at + 16)..], (uint)value.Length);
        at += 20;
        value.CopyTo(destination[at..]);
        return at + value.Length;
    }
}
