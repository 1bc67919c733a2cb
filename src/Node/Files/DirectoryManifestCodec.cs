using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// The canonical encoding of a <see cref="DirectoryManifest"/> (docs/FILES.md, "Directories"): the file
/// manifest's magic and version with kind 2, the creation time and name, then the entries in ascending
/// byte order of their UTF-8 paths, the owner key and its signature over everything before the signature.
/// Decoding never throws, checks lengths before it allocates, and refuses any path that could leave the
/// directory it is written into ("..", ".", empty or absolute components, separators other than '/').
/// </summary>
public static class DirectoryManifestCodec
{
    /// <summary>Longest relative path of an entry, in UTF-8 bytes (Linux's PATH_MAX).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>The executable bit of an entry's mode byte, the only one defined.</summary>
    public const byte ExecutableMode = 1;

    private static readonly byte[] SigningPrefix = Encoding.ASCII.GetBytes("overlay/file/directory");

    // magic, version, kind, created.
    private const int HeadBytes = 4 + 1 + 1 + 8;

    // path length, at least one byte of path, content id, size, mode.
    private const int MinEntryBytes = 2 + 1 + ShardId.Size + 8 + 1;
    private const long MaxCreatedMilliseconds = 253_402_300_799_999;

    /// <summary>Signs a directory manifest as <paramref name="owner"/> (entries put in canonical order) and returns it with its encoding.</summary>
    /// <exception cref="ArgumentException">The fields would not decode: a bad path or name, a path twice, a file that is also a folder.</exception>
    public static (DirectoryManifest Manifest, byte[] Encoded) Sign(NodeIdentity owner, DateTimeOffset createdAt, string? name, IEnumerable<DirectoryEntry> entries) =>
        Sign(owner, createdAt, name, entries, checkPaths: true);

    /// <summary>As <see cref="Sign(NodeIdentity, DateTimeOffset, string?, IEnumerable{DirectoryEntry})"/>; with <paramref name="checkPaths"/> false any path is signed (tests build hostile manifests so).</summary>
    internal static (DirectoryManifest Manifest, byte[] Encoded) Sign(NodeIdentity owner, DateTimeOffset createdAt, string? name, IEnumerable<DirectoryEntry> entries, bool checkPaths)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(entries);
        var created = DateTimeOffset.FromUnixTimeMilliseconds(createdAt.ToUnixTimeMilliseconds());
        var sorted = entries.OrderBy(e => Encoding.UTF8.GetBytes(e.Path), ByteOrder.Instance).ToArray();
        var body = SignedFields(created, string.IsNullOrEmpty(name) ? null : name, sorted, owner.PublicKey);
        var encoded = Join(body, owner.Sign(Payload(body)));
        if (!TryDecode(encoded, out var manifest, out var error, checkPaths))
        {
            throw new ArgumentException($"These entries do not make a valid directory manifest: {error}.");
        }

        return (manifest, encoded);
    }

    /// <summary>The manifest's canonical encoding.</summary>
    public static byte[] Encode(DirectoryManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Join(SignedFields(manifest.CreatedAt, manifest.Name, [.. manifest.Entries], manifest.Owner), manifest.Signature);
    }

    /// <summary>Decodes and checks untrusted bytes, every path and the signature included; never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out DirectoryManifest? manifest, out ManifestError error) =>
        TryDecode(bytes, out manifest, out error, checkPaths: true);

    /// <summary>As the public overload; <paramref name="checkPaths"/> false skips the path checks (only tests switch them off, to show what they stop).</summary>
    internal static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out DirectoryManifest? manifest, out ManifestError error, bool checkPaths)
    {
        manifest = null;
        error = Check(bytes, checkPaths, out var entries, out var fields);
        if (error != ManifestError.None)
        {
            return false;
        }

        if (!fields.Key.Verify(Payload(bytes[..fields.SignedLength]), bytes.Slice(fields.SignedLength + 2)))
        {
            error = ManifestError.BadSignature;
            return false;
        }

        manifest = new DirectoryManifest(fields.Name, DateTimeOffset.FromUnixTimeMilliseconds(fields.Created), entries!, fields.Key,
            bytes.Slice(fields.SignedLength + 2).ToArray());
        return true;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a relative path that stays inside any folder it is joined to:
    /// '/'-separated components, each a valid name (<see cref="ManifestCodec.IsValidName"/>: not empty, "."
    /// or "..", no '\' and no control character), at most <see cref="MaxPathBytes"/> UTF-8 bytes.
    /// </summary>
    public static bool IsValidPath(string path) =>
        !string.IsNullOrEmpty(path) && Encoding.UTF8.GetByteCount(path) <= MaxPathBytes && path.Split('/').All(ManifestCodec.IsValidName);

    private static ManifestError Check(ReadOnlySpan<byte> bytes, bool checkPaths, out DirectoryEntry[]? entries, out Fields fields)
    {
        entries = null;
        fields = default;
        if (bytes.IsEmpty)
        {
            return ManifestError.Empty;
        }

        if (bytes.Length > ManifestCodec.MaxEncodedBytes)
        {
            return ManifestError.TooLarge;
        }

        if (bytes.Length < HeadBytes)
        {
            return ManifestError.Truncated;
        }

        if (!bytes[..4].SequenceEqual(ManifestCodec.Magic))
        {
            return ManifestError.BadMagic;
        }

        if (bytes[4] != ManifestCodec.Version)
        {
            return ManifestError.UnsupportedVersion;
        }

        if (bytes[5] != ManifestCodec.DirectoryKind)
        {
            return ManifestError.UnknownKind;
        }

        var created = BinaryPrimitives.ReadInt64BigEndian(bytes[6..]);
        if (created is < 0 or > MaxCreatedMilliseconds)
        {
            return ManifestError.BadTime;
        }

        var at = HeadBytes;
        if (!ManifestCodec.TryReadText(bytes, ref at, ManifestCodec.MaxNameBytes, out var name) || (name is not null && !ManifestCodec.IsValidName(name)))
        {
            return at > bytes.Length ? ManifestError.Truncated : ManifestError.BadName;
        }

        if (bytes.Length < at + 4)
        {
            return ManifestError.Truncated;
        }

        long count = BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]);
        at += 4;
        // The count is the sender's claim: checked against the bytes there before anything is allocated.
        if (count * MinEntryBytes > bytes.Length - at)
        {
            return ManifestError.Truncated;
        }

        var list = new DirectoryEntry[count];
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var previous = ReadOnlySpan<byte>.Empty;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length < at + 2)
            {
                return ManifestError.Truncated;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
            at += 2;
            if (length is 0 or > MaxPathBytes)
            {
                return ManifestError.BadPath;
            }

            if (bytes.Length < at + length + ShardId.Size + 8 + 1)
            {
                return ManifestError.Truncated;
            }

            var pathBytes = bytes.Slice(at, length);
            at += length;
            if (!Utf8.IsValid(pathBytes))
            {
                return ManifestError.BadPath;
            }

            var path = Encoding.UTF8.GetString(pathBytes);
            if (checkPaths && !IsValidPath(path))
            {
                return ManifestError.BadPath;
            }

            // Strictly ascending: one order, so one encoding, and no path twice.
            if (i > 0 && previous.SequenceCompareTo(pathBytes) >= 0)
            {
                return ManifestError.UnsortedEntries;
            }

            previous = pathBytes;
            var id = ShardId.FromBytes(bytes.Slice(at, ShardId.Size));
            at += ShardId.Size;
            var size = BinaryPrimitives.ReadUInt64BigEndian(bytes[at..]);
            at += 8;
            if (size > ManifestCodec.MaxFileBytes)
            {
                return ManifestError.FileSizeOutOfRange;
            }

            var mode = bytes[at++];
            if ((mode & ~ExecutableMode) != 0)
            {
                return ManifestError.BadMode;
            }

            list[i] = new DirectoryEntry(path, id, (long)size, (mode & ExecutableMode) != 0);
            paths.Add(path);
        }

        // A file cannot also be a folder of another file ("a" and "a/b"): the tree would not be writable.
        if (checkPaths && list.Any(e => Folders(e.Path).Any(paths.Contains)))
        {
            return ManifestError.PathConflict;
        }

        var tail = ManifestCodec.CheckOwnerAndSignature(bytes, ref at, out var key);
        if (tail != ManifestError.None)
        {
            return tail;
        }

        entries = list;
        fields = new Fields(created, name, key, at);
        return ManifestError.None;
    }

    /// <summary>The folders a path lies in: "a/b/c" gives "a" and "a/b".</summary>
    private static IEnumerable<string> Folders(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }

    private static byte[] Join(byte[] body, ReadOnlySpan<byte> signature)
    {
        var encoded = new byte[body.Length + 2 + signature.Length];
        body.CopyTo(encoded, 0);
        BinaryPrimitives.WriteUInt16BigEndian(encoded.AsSpan(body.Length), (ushort)signature.Length);
        signature.CopyTo(encoded.AsSpan(body.Length + 2));
        return encoded;
    }

    private static byte[] Payload(ReadOnlySpan<byte> body)
    {
        var payload = new byte[SigningPrefix.Length + body.Length];
        SigningPrefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(SigningPrefix.Length));
        return payload;
    }

    private static byte[] SignedFields(DateTimeOffset created, string? name, DirectoryEntry[] entries, IdentityPublicKey owner)
    {
        var nameBytes = name is null ? [] : Encoding.UTF8.GetBytes(name);
        var paths = entries.Select(e => Encoding.UTF8.GetBytes(e.Path)).ToArray();
        var key = owner.Encoded;
        var bytes = new byte[HeadBytes + 1 + nameBytes.Length + 4 + paths.Sum(p => 2 + p.Length + ShardId.Size + 8 + 1) + 2 + key.Length];
        var span = bytes.AsSpan();
        ManifestCodec.Magic.CopyTo(span);
        span[4] = ManifestCodec.Version;
        span[5] = ManifestCodec.DirectoryKind;
        BinaryPrimitives.WriteInt64BigEndian(span[6..], created.ToUnixTimeMilliseconds());
        var at = HeadBytes;
        span[at++] = (byte)nameBytes.Length;
        nameBytes.CopyTo(span[at..]);
        at += nameBytes.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)entries.Length);
        at += 4;
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)paths[i].Length);
            at += 2;
            paths[i].CopyTo(span[at..]);
            at += paths[i].Length;
            entries[i].ContentId.WriteTo(span[at..]);
            at += ShardId.Size;
            BinaryPrimitives.WriteUInt64BigEndian(span[at..], (ulong)entries[i].Size);
            at += 8;
            span[at++] = entries[i].Executable ? ExecutableMode : (byte)0;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)key.Length);
        key.CopyTo(span[(at + 2)..]);
        return bytes;
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    private readonly record struct Fields(long Created, string? Name, IdentityPublicKey Key, int SignedLength);
}
