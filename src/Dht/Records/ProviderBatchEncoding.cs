using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// Canonical encodings of a provider batch (kind 3, sent in a STORE) and of one batched provider record
/// (kind 4, in FIND_VALUE answers and saved state), and the batch signing payload (docs/PROTOCOL.md, "Provider
/// batch (kind 3)"). Integers are big-endian; decoding never throws and checks every declared length against
/// the remaining bytes and the configured maximum before copying anything.
/// </summary>
public static class ProviderBatchEncoding
{
    /// <summary>Domain-separation prefix of the batch signing payload, apart from single provider records and every other signed message.</summary>
    public static ReadOnlySpan<byte> SigningContext => "overlay/dht/provider-batch"u8;

    // version, kind, provider, expiry, pk length; then the key, the id count, the ids, the root, signature length, signature
    private const int BatchHeader = 1 + 1 + PeerId.Size + 8 + 2;

    // version, kind, key, provider, expiry, pk length; then the key, index, count, root, path steps, path, signature length, signature
    private const int BatchedHeader = 1 + 1 + PeerId.Size + PeerId.Size + 8 + 2;
    private const int RootSize = Blake3MerkleTree.HashSize;

    /// <summary>Length of the batch signing payload for a public key of <paramref name="publicKeyLength"/> bytes.</summary>
    public static int SigningPayloadLength(int publicKeyLength) => SigningContext.Length + 1 + PeerId.Size + 8 + 4 + 2 + publicKeyLength + RootSize;

    /// <summary>
    /// Writes the batch signing payload: <see cref="SigningContext"/>, the encoding version, provider, expiry, id count,
    /// public key (length-prefixed) and Merkle root. The ids enter through the root alone. Returns the bytes written.
    /// </summary>
    public static int WriteSigningPayload(PeerId provider, long expiresUnixMs, int count, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> root, Span<byte> destination)
    {
        if (publicKey.Length > ushort.MaxValue || root.Length != RootSize)
        {
            throw new ArgumentException("A provider key is at most 65535 bytes and a root 32.", nameof(publicKey));
        }

        SigningContext.CopyTo(destination);
        var at = SigningContext.Length;
        destination[at++] = RecordEncoding.Version;
        provider.WriteTo(destination[at..]);
        at += PeerId.Size;
        BinaryPrimitives.WriteInt64BigEndian(destination[at..], expiresUnixMs);
        BinaryPrimitives.WriteInt32BigEndian(destination[(at + 8)..], count);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 12)..], (ushort)publicKey.Length);
        at += 14;
        publicKey.CopyTo(destination[at..]);
        at += publicKey.Length;
        root.CopyTo(destination[at..]);
        return at + RootSize;
    }

    /// <summary>Writes the signing payload of the batch <paramref name="record"/> (a batched record) belongs to.</summary>
    public static int WriteSigningPayload(ProviderRecord record, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        var proof = record.Batch ?? throw new ArgumentException("The record is not from a batch.", nameof(record));
        return WriteSigningPayload(record.Provider, record.ExpiresUnixMs, proof.LeafCount, record.ProviderPublicKey.Span, proof.Root.Span, destination);
    }

    /// <summary>Writes <paramref name="batch"/>'s signing payload (over the root it carries).</summary>
    public static int WriteSigningPayload(ProviderBatch batch, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return WriteSigningPayload(batch.Provider, batch.ExpiresUnixMs, batch.Count, batch.ProviderPublicKey.Span, batch.Root.Span, destination);
    }

    /// <summary>Encoded length of a batch.</summary>
    public static int EncodedLength(ProviderBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return BatchHeader + batch.ProviderPublicKey.Length + 4 + batch.Ids.Length + RootSize + 2 + batch.Signature.Length;
    }

    /// <summary>Encodes a batch into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(ProviderBatch batch, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (destination.Length < EncodedLength(batch) || batch.ProviderPublicKey.Length > ushort.MaxValue || batch.Root.Length != RootSize)
        {
            throw new ArgumentException("Destination too small for the batch, or a field out of range.", nameof(destination));
        }

        destination[0] = RecordEncoding.Version;
        destination[1] = (byte)RecordKind.ProviderBatch;
        batch.Provider.WriteTo(destination[2..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[(2 + PeerId.Size)..], batch.ExpiresUnixMs);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(BatchHeader - 2)..], (ushort)batch.ProviderPublicKey.Length);
        var at = BatchHeader;
        batch.ProviderPublicKey.Span.CopyTo(destination[at..]);
        at += batch.ProviderPublicKey.Length;
        BinaryPrimitives.WriteInt32BigEndian(destination[at..], batch.Count);
        at += 4;
        batch.Ids.Span.CopyTo(destination[at..]);
        at += batch.Ids.Length;
        batch.Root.Span.CopyTo(destination[at..]);
        at += RootSize;
        return at + WriteSignature(batch.Signature.Span, destination[at..]);
    }

    /// <summary>Encodes a batch into a new array.</summary>
    public static byte[] Encode(ProviderBatch batch)
    {
        var bytes = new byte[EncodedLength(batch)];
        Encode(batch, bytes);
        return bytes;
    }

    /// <summary>Encoded length of a batched provider record (one with a <see cref="ProviderRecord.Batch"/> proof).</summary>
    internal static int BatchedLength(ProviderRecord record, ProviderBatchProof proof) =>
        BatchedHeader + record.ProviderPublicKey.Length + 4 + 4 + RootSize + 1 + proof.Path.Length + 2 + record.Signature.Length;

    /// <summary>Encodes a batched provider record; returns the bytes written. The caller checked the destination's length.</summary>
    internal static int EncodeBatched(ProviderRecord record, ProviderBatchProof proof, Span<byte> destination)
    {
        if (record.ProviderPublicKey.Length > ushort.MaxValue || proof.Root.Length != RootSize || proof.Path.Length / RootSize > byte.MaxValue)
        {
            throw new ArgumentException("A batched record's key, root or path is out of range.", nameof(record));
        }

        destination[0] = RecordEncoding.Version;
        destination[1] = (byte)RecordKind.BatchedProvider;
        record.Key.WriteTo(destination[2..]);
        record.Provider.WriteTo(destination[(2 + PeerId.Size)..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[(2 + (2 * PeerId.Size))..], record.ExpiresUnixMs);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(BatchedHeader - 2)..], (ushort)record.ProviderPublicKey.Length);
        var at = BatchedHeader;
        record.ProviderPublicKey.Span.CopyTo(destination[at..]);
        at += record.ProviderPublicKey.Length;
        BinaryPrimitives.WriteInt32BigEndian(destination[at..], proof.LeafIndex);
        BinaryPrimitives.WriteInt32BigEndian(destination[(at + 4)..], proof.LeafCount);
        at += 8;
        proof.Root.Span.CopyTo(destination[at..]);
        at += RootSize;
        destination[at++] = (byte)(proof.Path.Length / RootSize);
        proof.Path.Span.CopyTo(destination[at..]);
        at += proof.Path.Length;
        return at + WriteSignature(record.Signature.Span, destination[at..]);
    }

    /// <summary>Decodes a batch (kind 3) from exactly <paramref name="source"/>. Never throws.</summary>
    internal static bool TryDecodeBatch(ReadOnlySpan<byte> source, DhtOptions options, out ProviderBatch? batch, out RecordDecodeError error)
    {
        batch = null;
        if (source.Length < BatchHeader)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var provider = PeerId.FromBytes(source.Slice(2, PeerId.Size));
        var expires = BinaryPrimitives.ReadInt64BigEndian(source[(2 + PeerId.Size)..]);
        if (!TryReadKey(source, BatchHeader, options, out var publicKey, out var rest, out error) || !CheckExpiry(expires, out error))
        {
            return false;
        }

        if (rest.Length < 4)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(rest);
        if (count == 0 || count > (uint)options.MaxProviderBatchIds)
        {
            error = RecordDecodeError.BatchSize;
            return false;
        }

        rest = rest[4..];
        var idBytes = (int)count * PeerId.Size;
        if (rest.Length < idBytes + RootSize + 2)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var ids = rest[..idBytes];
        var root = rest.Slice(idBytes, RootSize);
        rest = rest[(idBytes + RootSize)..];
        error = RecordEncoding.ReadSignatureToEnd(ref rest, options);
        if (error != RecordDecodeError.None)
        {
            return false;
        }

        batch = new ProviderBatch(provider, expires, ids.ToArray(), root.ToArray(), publicKey.ToArray(), rest.ToArray());
        return true;
    }

    /// <summary>Decodes a batched provider record (kind 4) from exactly <paramref name="source"/>. Never throws.</summary>
    internal static bool TryDecodeBatched(ReadOnlySpan<byte> source, DhtOptions options, out ProviderRecord? record, out RecordDecodeError error)
    {
        record = null;
        if (source.Length < BatchedHeader)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var expires = BinaryPrimitives.ReadInt64BigEndian(source[(2 + (2 * PeerId.Size))..]);
        if (!TryReadKey(source, BatchedHeader, options, out var publicKey, out var rest, out error) || !CheckExpiry(expires, out error))
        {
            return false;
        }

        if (rest.Length < 4 + 4 + RootSize + 1)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var index = BinaryPrimitives.ReadInt32BigEndian(rest);
        var count = BinaryPrimitives.ReadInt32BigEndian(rest[4..]);
        var root = rest.Slice(8, RootSize);
        int steps = rest[8 + RootSize];
        rest = rest[(8 + RootSize + 1)..];
        if (count < 1 || count > options.MaxProviderBatchIds || Blake3MerkleTree.PathLength(index, count) != steps)
        {
            error = RecordDecodeError.BadPath;
            return false;
        }

        if (rest.Length < (steps * RootSize) + 2)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        var path = rest[..(steps * RootSize)];
        rest = rest[(steps * RootSize)..];
        error = RecordEncoding.ReadSignatureToEnd(ref rest, options);
        if (error != RecordDecodeError.None)
        {
            return false;
        }

        record = new ProviderRecord(
            PeerId.FromBytes(source.Slice(2, PeerId.Size)), PeerId.FromBytes(source.Slice(2 + PeerId.Size, PeerId.Size)), expires, publicKey.ToArray(), rest.ToArray())
        {
            Batch = new ProviderBatchProof(root.ToArray(), index, count, path.ToArray()),
        };
        return true;
    }

    // The public key that follows a fixed header ending in its 2-byte length; rest is what follows the key.
    private static bool TryReadKey(ReadOnlySpan<byte> source, int header, DhtOptions options, out ReadOnlySpan<byte> publicKey, out ReadOnlySpan<byte> rest, out RecordDecodeError error)
    {
        publicKey = default;
        rest = default;
        int pkLength = BinaryPrimitives.ReadUInt16BigEndian(source[(header - 2)..]);
        if (pkLength == 0 || pkLength > options.MaxPublicKeyBytes)
        {
            error = RecordDecodeError.PublicKeyLength;
            return false;
        }

        if (source.Length - header < pkLength)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }

        publicKey = source.Slice(header, pkLength);
        rest = source[(header + pkLength)..];
        error = RecordDecodeError.None;
        return true;
    }

    private static bool CheckExpiry(long expires, out RecordDecodeError error)
    {
        error = expires < 0 || expires > RecordEncoding.MaxExpiryMs ? RecordDecodeError.ExpiryOutOfRange : RecordDecodeError.None;
        return error == RecordDecodeError.None;
    }

    private static int WriteSignature(ReadOnlySpan<byte> signature, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)signature.Length);
        signature.CopyTo(destination[2..]);
        return 2 + signature.Length;
    }
}
