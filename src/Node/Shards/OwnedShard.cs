using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>What an owner keeps about one of its shards: its size, whether it keeps a copy on probation and, per holder, the receipt, the unspent audit challenges, the last audit and whether it is vetted.</summary>
public sealed class OwnedShard(ShardId id, int size)
{
    /// <summary>The shard.</summary>
    public ShardId Id { get; } = id;

    /// <summary>Its length in bytes.</summary>
    public int Size { get; } = size;

    /// <summary>The holders that gave a receipt, one entry per holder.</summary>
    public List<ShardHolding> Holders { get; } = [];

    /// <summary>
    /// Whether the owner keeps its own copy in its store while the holders are on probation (docs/PROTOCOL.md, "Probation"):
    /// it put the copy there itself, so it deletes it once every holder is vetted.
    /// </summary>
    public bool OwnerCopy { get; set; }
}
