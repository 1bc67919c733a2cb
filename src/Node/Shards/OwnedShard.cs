using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>What an owner keeps about one of its shards: its size and, per holder, the receipt, the unspent audit challenges and the last audit.</summary>
public sealed class OwnedShard(ShardId id, int size)
{
    /// <summary>The shard.</summary>
    public ShardId Id { get; } = id;

    /// <summary>Its length in bytes.</summary>
    public int Size { get; } = size;

    /// <summary>The holders that gave a receipt, one entry per holder.</summary>
    public List<ShardHolding> Holders { get; } = [];
}
