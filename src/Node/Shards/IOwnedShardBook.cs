using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// Where an owner keeps what it knows of its shards (holders, receipts, unspent audit challenges). The
/// daemon's is <see cref="OwnedShardBook"/> (one durable file per shard); the simulator's is
/// <see cref="InMemoryOwnedShardBook"/>.
/// </summary>
public interface IOwnedShardBook
{
    /// <summary>The record of <paramref name="id"/>, or null when this node never placed it.</summary>
    /// <exception cref="ShardBookException">The record exists but cannot be read.</exception>
    OwnedShard? Load(ShardId id);

    /// <summary>Writes the record durably.</summary>
    /// <exception cref="ShardBookException">The record could not be written.</exception>
    void Save(OwnedShard shard);

    /// <summary>The ids of every shard recorded, in no particular order.</summary>
    /// <exception cref="ShardBookException">The records cannot be listed.</exception>
    IReadOnlyList<ShardId> Ids();
}
