using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using Overlay.Crypto;
using Overlay.Erasure;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// The canonical encoding of a <see cref="FileManifest"/> (docs/FILES.md, "Manifest"): fixed fields in
/// big-endian order, then the shard ids, the owner key and its signature over everything before the
/// signature. One manifest has exactly one encoding, so its BLAKE3 (the content id) is stable.
/// Decoding checks lengths before it allocates, the cheap checks before the signature, and returns a
/// <see cref="ManifestError"/> rather than throwing on any input.
/// </summary>
public static class ManifestCodec
{
    /// <summary>The encoding's version byte.</summary>
    public const byte Version = 1;

    /// <summary>The kind byte of a file manifest.</summary>
    public const byte FileKind = 1;

    /// <summary>The kind byte of a directory manifest (<see cref="DirectoryManifestCodec"/>).</summary>
    public const byte DirectoryKind = 2;

    /// <summary>Largest encoding accepted: the largest shard any node keeps (<see cref="StorageOptions.MaxShardBytesLimit"/>).</summary>
    public const int MaxEncodedBytes = StorageOptions.MaxShardBytesLimit;

    /// <summary>Largest file a manifest may describe: 1 TiB.</summary>
    public const long MaxFileBytes = 1L << 40;

    /// <summary>Smallest chunk size: 4 KiB.</summary>
    public const int MinChunkBytes = 4 << 10;

    /// <summary>Largest chunk size: 256 MiB (its shards must still fit <see cref="StorageOptions.MaxShardBytesLimit"/>).</summary>
    public const int MaxChunkBytes = 256 << 20;

    /// <summary>Longest name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Longest media type, in bytes.</summary>
    public const int MaxMediaTypeBytes = 127;

    /// <summary>The first four bytes of every manifest, file or directory.</summary>
    internal static ReadOnlySpan<byte> Magic => "OVMF"u8;
    private static readonly byte[] SigningPrefix = Encoding.ASCII.GetBytes("overlay/file/manifest");

    // magic, version, kind, file size, chunk, k, m, content hash, created.
    private const int HeadBytes = 4 + 1 + 1 + 8 + 4 + 2 + 2 + 32 + 8;
    private const long MaxCreatedMilliseconds = 253_402_300_799_999;

    /// <summary>Signs a manifest as <paramref name="owner"/> and returns it with its encoding.</summary>
    /// <exception cref="ArgumentException">The fields would not decode (the caller's own mistake).</exception>
    public static (FileManifest Manifest, byte[] Encoded) Sign(
        NodeIdentity owner, long fileSize, int chunkBytes, int dataShards, int parityShards, ReadOnlySpan<byte> contentHash,
        DateTimeOffset createdAt, string? name, string? mediaType, IReadOnlyList<ShardId> shards)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(shards);
        var created = DateTimeOffset.FromUnixTimeMilliseconds(createdAt.ToUnixTimeMilliseconds());
        var unsigned = new FileManifest(fileSize, chunkBytes, dataShards, parityShards, contentHash.ToArray(), created,
            string.IsNullOrEmpty(name) ? null : name, string.IsNullOrEmpty(mediaType) ? null : mediaType, [.. shards], owner.PublicKey, []);
        var body = SignedFields(unsigned);
        var signature = owner.Sign(Payload(body));
        var manifest = new FileManifest(unsigned.FileSize, chunkBytes, dataShards, parityShards, unsigned.ContentHash.ToArray(), created,
            unsigned.Name, unsigned.MediaType, [.. shards], owner.PublicKey, signature);
        var encoded = Encode(manifest);
        if (!TryDecode(encoded, out _, out var error))
        {
            throw new ArgumentException($"These manifest fields do not make a valid manifest: {error}.");
        }

        return (manifest, encoded);
    }

    /// <summary>The manifest's canonical encoding.</summary>
    public static byte[] Encode(FileManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var body = SignedFields(manifest);
        var bytes = new byte[body.Length + 2 + manifest.Signature.Length];
        body.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(body.Length), (ushort)manifest.Signature.Length);
        manifest.Signature.CopyTo(bytes.AsSpan(body.Length + 2));
        return bytes;
    }

    /// <summary>Decodes and checks untrusted bytes, signature included; never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out FileManifest? manifest, out ManifestError error)
    {
        manifest = null;
        error = Check(bytes, out var fields);
        if (error != ManifestError.None)
        {
            return false;
        }

        if (!fields.Key.Verify(Payload(bytes[..fields.SignedLength]), bytes.Slice(fields.SignedLength + 2)))
        {
            error = ManifestError.BadSignature;
            return false;
        }

        var shards = new ShardId[fields.ShardCount];
        for (var i = 0; i < shards.Length; i++)
        {
            shards[i] = ShardId.FromBytes(bytes.Slice(fields.ShardsAt + (i * ShardId.Size), ShardId.Size));
        }

        manifest = new FileManifest(fields.FileSize, fields.Chunk, fields.K, fields.M, bytes.Slice(22, 32).ToArray(),
            DateTimeOffset.FromUnixTimeMilliseconds(fields.Created), fields.Name, fields.MediaType, shards, fields.Key,
            bytes.Slice(fields.SignedLength + 2).ToArray());
        return true;
    }

    /// <summary>The kind byte of manifest bytes (<see cref="FileKind"/>, <see cref="DirectoryKind"/>, …), or 0 when they do not start as a manifest of this version.</summary>
    public static byte KindOf(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 6 && bytes[..4].SequenceEqual(Magic) && bytes[4] == Version ? bytes[5] : (byte)0;

    /// <summary>Stripes a file of <paramref name="fileSize"/> bytes has with chunks of <paramref name="chunkBytes"/>.</summary>
    public static long StripesFor(long fileSize, int chunkBytes) => (fileSize + chunkBytes - 1) / chunkBytes;

    private static ManifestError Check(ReadOnlySpan<byte> bytes, out Fields fields)
    {
        fields = default;
        if (bytes.IsEmpty)
        {
            return ManifestError.Empty;
        }

        if (bytes.Length > MaxEncodedBytes)
        {
            return ManifestError.TooLarge;
        }

        if (bytes.Length < HeadBytes)
        {
            return ManifestError.Truncated;
        }

        if (!bytes[..4].SequenceEqual(Magic))
        {
            return ManifestError.BadMagic;
        }

        if (bytes[4] != Version)
        {
            return ManifestError.UnsupportedVersion;
        }

        if (bytes[5] != FileKind)
        {
            return ManifestError.UnknownKind;
        }

        var fileSize = BinaryPrimitives.ReadUInt64BigEndian(bytes[6..]);
        var chunk = BinaryPrimitives.ReadUInt32BigEndian(bytes[14..]);
        int k = BinaryPrimitives.ReadUInt16BigEndian(bytes[18..]);
        int m = BinaryPrimitives.ReadUInt16BigEndian(bytes[20..]);
        var created = BinaryPrimitives.ReadInt64BigEndian(bytes[54..]);
        if (fileSize > MaxFileBytes)
        {
            return ManifestError.FileSizeOutOfRange;
        }

        if (chunk is < MinChunkBytes or > MaxChunkBytes)
        {
            return ManifestError.ChunkSizeOutOfRange;
        }

        if (ReedSolomonCodec.Validate(k, m) != ErasureError.None)
        {
            return ManifestError.BadCode;
        }

        if (FileManifest.ShardLength((int)chunk, k) > StorageOptions.MaxShardBytesLimit)
        {
            return ManifestError.ShardTooLarge;
        }

        if (created is < 0 or > MaxCreatedMilliseconds)
        {
            return ManifestError.BadTime;
        }

        var at = HeadBytes;
        if (!TryReadText(bytes, ref at, MaxNameBytes, out var name) || (name is not null && !IsValidName(name)))
        {
            return at > bytes.Length ? ManifestError.Truncated : ManifestError.BadName;
        }

        if (!TryReadText(bytes, ref at, MaxMediaTypeBytes, out var mediaType) || (mediaType is not null && !IsValidMediaType(mediaType)))
        {
            return at > bytes.Length ? ManifestError.Truncated : ManifestError.BadMediaType;
        }

        if (bytes.Length < at + 4)
        {
            return ManifestError.Truncated;
        }

        long stripes = BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]);
        at += 4;
        if (stripes != StripesFor((long)fileSize, (int)chunk))
        {
            return ManifestError.StripeCountMismatch;
        }

        // In long arithmetic and checked before anything is allocated: the counts are the sender's claim.
        var shardCount = stripes * (k + m);
        if (shardCount * ShardId.Size > bytes.Length - at)
        {
            return ManifestError.ShardListMismatch;
        }

        var shardsAt = at;
        at += (int)(shardCount * ShardId.Size);
        var tail = CheckOwnerAndSignature(bytes, ref at, out var key);
        if (tail != ManifestError.None)
        {
            return tail;
        }

        fields = new Fields((long)fileSize, (int)chunk, k, m, created, name, mediaType, shardsAt, (int)shardCount, key, at);
        return ManifestError.None;
    }

    /// <summary>
    /// Checks the tail every manifest ends with, from <paramref name="at"/>: the owner key (u16 length, key)
    /// and the signature (u16 length, exactly the key's signature size, then nothing after it). On success
    /// <paramref name="at"/> is where the signature length starts (the end of the signed bytes).
    /// </summary>
    internal static ManifestError CheckOwnerAndSignature(ReadOnlySpan<byte> bytes, ref int at, out IdentityPublicKey key)
    {
        key = null!;
        if (bytes.Length < at + 2)
        {
            return ManifestError.Truncated;
        }

        int keyLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
        at += 2;
        if (bytes.Length < at + keyLength)
        {
            return ManifestError.Truncated;
        }

        if (!IdentityPublicKey.TryDecode(bytes.Slice(at, keyLength), out var decoded))
        {
            return ManifestError.BadKey;
        }

        key = decoded;
        at += keyLength;
        if (bytes.Length < at + 2)
        {
            return ManifestError.Truncated;
        }

        int signatureLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
        if (signatureLength != key.SignatureSize)
        {
            return ManifestError.BadSignatureLength;
        }

        if (bytes.Length < at + 2 + signatureLength)
        {
            return ManifestError.Truncated;
        }

        if (bytes.Length > at + 2 + signatureLength)
        {
            return ManifestError.TrailingBytes;
        }

        return ManifestError.None;
    }

    internal static bool TryReadText(ReadOnlySpan<byte> bytes, ref int at, int maxBytes, out string? text)
    {
        text = null;
        if (bytes.Length < at + 1)
        {
            at = bytes.Length + 1;
            return false;
        }

        int length = bytes[at];
        at++;
        if (length > maxBytes)
        {
            return false;
        }

        if (bytes.Length < at + length)
        {
            at = bytes.Length + 1;
            return false;
        }

        var slice = bytes.Slice(at, length);
        at += length;
        if (length == 0)
        {
            return true;
        }

        if (!Utf8.IsValid(slice))
        {
            return false;
        }

        text = Encoding.UTF8.GetString(slice);
        return true;
    }

    /// <summary>A name is one path component: no separator, no control character, not "." or "..".</summary>
    public static bool IsValidName(string name) =>
        !string.IsNullOrEmpty(name) && Encoding.UTF8.GetByteCount(name) <= MaxNameBytes && name is not ("." or "..") &&
        !name.Any(c => c is '/' or '\\' || char.IsControl(c));

    /// <summary>A media type is printable ASCII (type/subtype and parameters), at most <see cref="MaxMediaTypeBytes"/>.</summary>
    public static bool IsValidMediaType(string mediaType) =>
        !string.IsNullOrEmpty(mediaType) && mediaType.Length <= MaxMediaTypeBytes && mediaType.All(c => c is > ' ' and < (char)127);

    private static byte[] Payload(ReadOnlySpan<byte> body)
    {
        var payload = new byte[SigningPrefix.Length + body.Length];
        SigningPrefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(SigningPrefix.Length));
        return payload;
    }

    private static byte[] SignedFields(FileManifest m)
    {
        var name = m.Name is null ? [] : Encoding.UTF8.GetBytes(m.Name);
        var mediaType = m.MediaType is null ? [] : Encoding.ASCII.GetBytes(m.MediaType);
        var key = m.Owner.Encoded;
        var shards = m.Shards;
        var bytes = new byte[HeadBytes + 1 + name.Length + 1 + mediaType.Length + 4 + (shards.Count * ShardId.Size) + 2 + key.Length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[4] = Version;
        span[5] = FileKind;
        BinaryPrimitives.WriteUInt64BigEndian(span[6..], (ulong)m.FileSize);
        BinaryPrimitives.WriteUInt32BigEndian(span[14..], (uint)m.ChunkBytes);
        BinaryPrimitives.WriteUInt16BigEndian(span[18..], (ushort)m.DataShards);
        BinaryPrimitives.WriteUInt16BigEndian(span[20..], (ushort)m.ParityShards);
        m.ContentHash.CopyTo(span[22..]);
        BinaryPrimitives.WriteInt64BigEndian(span[54..], m.CreatedAt.ToUnixTimeMilliseconds());
        var at = HeadBytes;
        span[at++] = (byte)name.Length;
        name.CopyTo(span[at..]);
        at += name.Length;
        span[at++] = (byte)mediaType.Length;
        mediaType.CopyTo(span[at..]);
        at += mediaType.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)m.StripeCount);
        at += 4;
        foreach (var id in shards)
        {
            id.WriteTo(span[at..]);
            at += ShardId.Size;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)key.Length);
        key.CopyTo(span[(at + 2)..]);
        return bytes;
    }

    private readonly record struct Fields(
        long FileSize, int Chunk, int K, int M, long Created, string? Name, string? MediaType, int ShardsAt, int ShardCount, IdentityPublicKey Key, int SignedLength);
}
