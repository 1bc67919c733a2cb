using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// What a stored directory is made of (docs/FILES.md, "Directories"): its name, and its files in
/// ordinal order of their relative paths, each named by its own file manifest's content id; signed by
/// the node that stored it. Its encoding (<see cref="DirectoryManifestCodec"/>) is stored as a shard,
/// whose id is the directory's content id. Instances come from <see cref="DirectoryManifestCodec.Sign(Overlay.Crypto.NodeIdentity, DateTimeOffset, string?, IEnumerable{DirectoryEntry})"/>
/// or a successful <see cref="DirectoryManifestCodec.TryDecode(ReadOnlySpan{byte}, out DirectoryManifest?, out ManifestError)"/>.
/// </summary>
public sealed class DirectoryManifest
{
    private readonly DirectoryEntry[] _entries;
    private readonly byte[] _signature;

    internal DirectoryManifest(string? name, DateTimeOffset createdAt, DirectoryEntry[] entries, IdentityPublicKey owner, byte[] signature)
    {
        Name = name;
        CreatedAt = createdAt;
        _entries = entries;
        Owner = owner;
        _signature = signature;
    }

    /// <summary>The directory's own name as given at store time (one path component), or null.</summary>
    public string? Name { get; }

    /// <summary>When the storing node signed it (millisecond precision).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The files, in ordinal order of <see cref="DirectoryEntry.Path"/>; no path twice, none a folder of another.</summary>
    public IReadOnlyList<DirectoryEntry> Entries => _entries;

    /// <summary>The storing node's public key.</summary>
    public IdentityPublicKey Owner { get; }

    /// <summary>The owner's signature over the encoding before it.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>The sum of the files' sizes, in bytes.</summary>
    public long TotalBytes => _entries.Sum(e => e.Size);

    /// <summary>The content ids of the files.</summary>
    public IEnumerable<ShardId> ContentIds => _entries.Select(e => e.ContentId);
}
