using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// The simulator's book: the same records as <see cref="OwnedShardBook"/>, kept as their encoded form in
/// memory (so a loaded record is a copy, as one read from a file is), lost when the process ends.
/// </summary>
public sealed class InMemoryOwnedShardBook : IOwnedShardBook
{
    private readonly Dictionary<ShardId, byte[]> _records = [];
    private readonly object _gate = new();

    /// <inheritdoc/>
    public OwnedShard? Load(ShardId id)
    {
        lock (_gate)
        {
            return _records.TryGetValue(id, out var bytes) ? OwnedShardBook.Parse(bytes, id) : null;
        }
    }

    /// <inheritdoc/>
    public void Save(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var bytes = OwnedShardBook.Serialize(shard);
        lock (_gate)
        {
            _records[shard.Id] = bytes;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<ShardId> Ids()
    {
        lock (_gate)
        {
            return [.. _records.Keys];
        }
    }
}
