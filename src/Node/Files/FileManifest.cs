using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// What a stored file is made of (docs/FILES.md, "Manifest"): its size and BLAKE3, the chunk size that
/// cuts it into stripes, the Reed–Solomon code of each stripe, and every shard id in order (stripe 0's
/// k data then m parity shards, then stripe 1's, …), signed by the node that stored it. Its encoding
/// (<see cref="ManifestCodec"/>) is itself stored as a shard, and that shard's id is the content id.
/// Instances come from <see cref="ManifestCodec.Sign"/> or a successful <see cref="ManifestCodec.TryDecode"/>,
/// so they are always consistent.
/// </summary>
public sealed class FileManifest
{
    private readonly ShardId[] _shards;
    private readonly byte[] _contentHash;
    private readonly byte[] _signature;

    internal FileManifest(
        long fileSize, int chunkBytes, int dataShards, int parityShards, byte[] contentHash, DateTimeOffset createdAt,
        string? name, string? mediaType, ShardId[] shards, IdentityPublicKey owner, byte[] signature)
    {
        FileSize = fileSize;
        ChunkBytes = chunkBytes;
        DataShards = dataShards;
        ParityShards = parityShards;
        _contentHash = contentHash;
        CreatedAt = createdAt;
        Name = name;
        MediaType = mediaType;
        _shards = shards;
        Owner = owner;
        _signature = signature;
    }

    /// <summary>The file's length in bytes.</summary>
    public long FileSize { get; }

    /// <summary>Bytes of the file per stripe (the last stripe may be shorter).</summary>
    public int ChunkBytes { get; }

    /// <summary>k: data shards per stripe.</summary>
    public int DataShards { get; }

    /// <summary>m: parity shards per stripe.</summary>
    public int ParityShards { get; }

    /// <summary>k + m.</summary>
    public int ShardsPerStripe => DataShards + ParityShards;

    /// <summary>BLAKE3-256 of the whole file.</summary>
    public ReadOnlySpan<byte> ContentHash => _contentHash;

    /// <summary>When the storing node signed it (millisecond precision).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The file's name as given at store time (no directory part), or null.</summary>
    public string? Name { get; }

    /// <summary>The media type given at store time, or null.</summary>
    public string? MediaType { get; }

    /// <summary>The storing node's public key; <see cref="IdentityPublicKey.PeerId"/> is its PeerId.</summary>
    public IdentityPublicKey Owner { get; }

    /// <summary>The owner's signature over the encoding before it.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>How many stripes the file has (0 for an empty file).</summary>
    public int StripeCount => _shards.Length / ShardsPerStripe;

    /// <summary>Every shard id, stripe by stripe.</summary>
    public IReadOnlyList<ShardId> Shards => _shards;

    /// <summary>Shard <paramref name="index"/> (0 … k + m − 1) of stripe <paramref name="stripe"/>.</summary>
    public ShardId Shard(int stripe, int index) => _shards[(stripe * ShardsPerStripe) + index];

    /// <summary>Offset in the file of stripe <paramref name="stripe"/>'s first byte.</summary>
    public long StripeOffset(int stripe) => (long)stripe * ChunkBytes;

    /// <summary>Bytes of the file in stripe <paramref name="stripe"/>.</summary>
    public int StripeBytes(int stripe) => (int)Math.Min(ChunkBytes, FileSize - StripeOffset(stripe));

    /// <summary>Length of every shard of stripe <paramref name="stripe"/>: its bytes over k, rounded up (the last data shard is zero-padded).</summary>
    public int ShardBytes(int stripe) => ShardLength(StripeBytes(stripe), DataShards);

    /// <summary>Length of each shard when <paramref name="stripeBytes"/> are cut into <paramref name="dataShards"/> shards.</summary>
    public static int ShardLength(int stripeBytes, int dataShards) => (stripeBytes + dataShards - 1) / dataShards;
}
