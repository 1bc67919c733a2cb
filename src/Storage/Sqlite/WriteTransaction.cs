using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The writer connection's transactions and the totals they commit: the shard count, the payload
/// bytes and the next payload row number, kept in the <c>usage</c> row and written in the same
/// transaction as the rows they count, so a crash never leaves them apart. The in-memory log index
/// and the holds' totals follow each commit or rollback from here. Writer thread only, apart from
/// the committed <see cref="ShardCount"/> and <see cref="UsedBytes"/>.
/// </summary>
internal sealed class WriteTransaction : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin, _commit, _rollback, _usage;
    private readonly RecentShardIndex _recent;
    private readonly HoldTable _holds;
    private readonly WalGrowthLimit _wal;

    // Committed totals (read by any thread) and the deltas of the open transaction (writer thread only).
    private long _shardCount, _usedBytes;
    private long _txCount, _txBytes;

    // Payload rows get their rowid from here (writer thread only), so a put can write its log row,
    // which references the payload, before the payload; the log row's seq is the same number. Ids
    // skipped by a rolled-back batch are simply never used: within the life of the in-memory log
    // index, a payload rowid never names two shards.
    private long _nextDataId;

    // _nextDataId as the usage row last committed it.
    private long _committedNextDataId;

    /// <summary>Reads the committed totals; <paramref name="nextDataId"/> is the first payload row number free at open (see <see cref="RecentLogLoader"/>).</summary>
    public WriteTransaction(SqliteConnection connection, RecentShardIndex recent, HoldTable holds, WalGrowthLimit wal, long nextDataId)
    {
        _db = connection.Handle!;
        _recent = recent;
        _holds = holds;
        _wal = wal;
        _begin = Native.Prepare(connection, "BEGIN IMMEDIATE");
        _commit = Native.Prepare(connection, "COMMIT");
        _rollback = Native.Prepare(connection, "ROLLBACK");
        _usage = Native.Prepare(connection, "UPDATE usage SET shard_count = ?1, used_bytes = ?2, next_data_id = ?3 WHERE id = 0");
        _shardCount = Schema.Scalar(connection, "SELECT shard_count FROM usage WHERE id = 0");
        _usedBytes = Schema.Scalar(connection, "SELECT used_bytes FROM usage WHERE id = 0");
        _nextDataId = nextDataId;
        _committedNextDataId = nextDataId;
    }

    /// <summary>Shards committed; any thread.</summary>
    public long ShardCount => Interlocked.Read(ref _shardCount);

    /// <summary>Payload bytes committed; any thread.</summary>
    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    /// <summary>The payload row number the next new shard gets; see <see cref="UseDataId"/>.</summary>
    public long NextDataId => _nextDataId;

    /// <summary>Takes <see cref="NextDataId"/>, once the shard's rows were written with it.</summary>
    public void UseDataId() => _nextDataId++;

    /// <summary>Whether a new shard of <paramref name="size"/> bytes would take the totals, with this transaction's changes, past <paramref name="capacityBytes"/> charged.</summary>
    public bool WouldExceed(long size, long capacityBytes) =>
        StorageUsage.Charge(_shardCount + _txCount + 1, _usedBytes + _txBytes + size) > capacityBytes;

    /// <summary>A shard of <paramref name="size"/> bytes was written in this transaction.</summary>
    public void Added(long size)
    {
        _txCount++;
        _txBytes += size;
    }

    /// <summary>A shard of <paramref name="size"/> bytes was deleted in this transaction.</summary>
    public void Removed(long size)
    {
        _txCount--;
        _txBytes -= size;
    }

    public void Begin()
    {
        _txCount = 0;
        _txBytes = 0;
        _holds.RolledBack();
        Native.Run(_db, _begin);
    }

    /// <summary>Writes the totals when they changed, commits, and only then lets the in-memory state and the committed totals follow.</summary>
    public void Commit()
    {
        var nextDataId = _nextDataId;
        if (_txCount != 0 || _txBytes != 0 || nextDataId != _committedNextDataId)
        {
            raw.sqlite3_bind_int64(_usage, 1, _shardCount + _txCount);
            raw.sqlite3_bind_int64(_usage, 2, _usedBytes + _txBytes);
            raw.sqlite3_bind_int64(_usage, 3, nextDataId);
            Native.Run(_db, _usage);
        }

        Native.Run(_db, _commit);
        _committedNextDataId = nextDataId;
        _recent.Committed();
        _holds.Committed();
        _wal.Committed();
        Interlocked.Add(ref _shardCount, _txCount);
        Interlocked.Add(ref _usedBytes, _txBytes);
        _txCount = 0;
        _txBytes = 0;
    }

    public void Rollback()
    {
        _recent.RolledBack();
        _holds.RolledBack();
        _txCount = 0;
        _txBytes = 0;
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            // A failed ROLLBACK leaves nothing to undo: SQLite already rolled back on the error.
            raw.sqlite3_step(_rollback);
            raw.sqlite3_reset(_rollback);
        }
    }

    public void Dispose()
    {
        foreach (var stmt in new[] { _begin, _commit, _rollback, _usage })
        {
            stmt.Dispose();
        }
    }
}
