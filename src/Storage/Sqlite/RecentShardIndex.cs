namespace Overlay.Storage.Sqlite;

/// <summary>
/// The in-memory index of <c>recent_shards</c>, the log that new shards are appended to before they
/// are merged into <c>shards</c> in id order: id → the log row (<c>seq</c>) holding it, which is also
/// the row of its payload in <c>shard_data</c>. Written by the writer thread only, read by every reader.
/// It keeps only a prefix of each id (<see cref="IdPrefix"/>), so an entry found for an id may be
/// another shard's whose id starts the same way; the writer keeps such a shard out of the log (see
/// <see cref="ShardTableWriter"/>), so one prefix has at most one logged shard.
/// </summary>
/// <remarks>
/// The index may name rows that are not (or no longer) committed, never the other way round for
/// long: an entry is added when its row is inserted, before the commit, and removed only after the
/// commit that deleted its row. Every user therefore treats an entry as a hint, looks the row up by
/// <c>seq</c> and id in SQL, and falls through to <c>shards</c> when the row is not there or holds
/// another id. A reader
/// racing a merge either finds the log row, or finds no row and then the merged one, which became
/// visible in the same commit that removed the log row. A point read goes by <c>seq</c> to the
/// payload alone: payload rows are never renumbered (a merge leaves them where they are) and, within
/// the life of the index, a payload rowid is never given to another shard, so a payload row found
/// there is the logged shard's, and one not found means it is not committed or deleted. Whether that
/// shard is the one asked for, the payload's hash tells.
/// </remarks>
internal sealed class RecentShardIndex
{
    private LogRowTable _entries = new();

    // Changes of the open write transaction (writer thread only): additions with the row and
    // verification minute of the entry they replaced (row 0: none), undone on rollback; removals,
    // applied on commit.
    private readonly List<(IdPrefix Prefix, long Previous, int PreviousMinute, long Seq)> _added = [];
    private readonly List<(IdPrefix Prefix, long Seq)> _removed = [];

    /// <summary>Entries, including those of the open transaction. Readers skip the table while it is 0.</summary>
    public int Count => _entries.Count;

    /// <summary>The log row that may hold <paramref name="id"/> (or another shard with its prefix).</summary>
    public bool TryGet(in ShardId id, out long seq)
    {
        if (_entries.Count == 0)
        {
            seq = 0;
            return false;
        }

        return _entries.TryGet(IdPrefix.Of(id), out seq);
    }

    /// <summary>The log row that may hold <paramref name="id"/> (or another shard with its prefix), and the Unix minute its verification was last recorded.</summary>
    public bool TryGet(in ShardId id, out long seq, out int verifiedMinute)
    {
        if (_entries.Count == 0)
        {
            seq = 0;
            verifiedMinute = 0;
            return false;
        }

        return _entries.TryGet(IdPrefix.Of(id), out seq, out verifiedMinute);
    }

    /// <summary>A verification of <paramref name="id"/> at <paramref name="minute"/> is being recorded; any thread.</summary>
    public void MarkVerified(in ShardId id, int minute)
    {
        if (_entries.Count != 0)
        {
            _entries.MarkVerified(IdPrefix.Of(id), minute);
        }
    }

    /// <summary>Sizes the index for <paramref name="entries"/> before they are loaded at open, so loading never grows it.</summary>
    public void Reserve(int entries)
    {
        if (_entries.Count == 0 && entries > 0)
        {
            _entries = new LogRowTable(entries);
        }
    }

    /// <summary>Loads a committed entry at open; returns the row of an entry with the same prefix it replaced (0: none).</summary>
    public long Load(in ShardId id, long seq, int verifiedMinute) => _entries.Set(IdPrefix.Of(id), seq, verifiedMinute);

    /// <summary>A log row was inserted in the open transaction, verified (stored) at <paramref name="verifiedMinute"/>.</summary>
    public void Add(in ShardId id, long seq, int verifiedMinute)
    {
        var prefix = IdPrefix.Of(id);
        var previous = _entries.Set(prefix, seq, verifiedMinute, out var previousMinute);
        _added.Add((prefix, previous, previousMinute, seq));
    }

    /// <summary>A log row was deleted in the open transaction; the entry goes once that commits.</summary>
    public void Remove(in ShardId id, long seq) => _removed.Add((IdPrefix.Of(id), seq));

    public void Committed()
    {
        foreach (var (prefix, seq) in _removed)
        {
            // Only if no later row of the same id (a put after a delete, same transaction) replaced it.
            _entries.Remove(prefix, seq);
        }

        _removed.Clear();
        _added.Clear();
    }

    public void RolledBack()
    {
        for (var i = _added.Count - 1; i >= 0; i--)
        {
            var (prefix, previous, previousMinute, seq) = _added[i];
            if (previous != 0)
            {
                _entries.Set(prefix, previous, previousMinute);
            }
            else
            {
                _entries.Remove(prefix, seq);
            }
        }

        _added.Clear();
        _removed.Clear();
    }

    /// <summary>The entries now, for a merge or a listing to sort; any thread.</summary>
    public KeyValuePair<IdPrefix, long>[] Snapshot() => _entries.ToArray();

    /// <summary>The log row <paramref name="seq"/> was merged into the index, and that commit is done.</summary>
    public void Merged(in IdPrefix prefix, long seq) =>
        // A row deleted, or replaced by a newer put, since the merge began is no longer this entry.
        _entries.Remove(prefix, seq);
}
