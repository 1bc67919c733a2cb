using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Moves the log of recent shards into the id index once it holds
/// <see cref="StorageOptions.MergeThreshold"/> shards, an id range per transaction between the
/// writer's batches, so puts stay two appends while the log is small and a merge never holds up a
/// batch for long. Writer thread only, apart from the counters.
/// </summary>
internal sealed class RecentLogMerger : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _mergeInsert, _mergeDelete, _mergeDeleteAll;
    private readonly WriteTransaction _transaction;
    private readonly RecentShardIndex _recent;
    private readonly IdIndexFilter _filter;
    private readonly StorageOptions _options;
    private readonly ILogger _logger;
    private readonly string _path;

    // The merge in progress: the log's entries sorted by id when it started, the next range to move,
    // and the last log row it covers (shards logged after it started wait for the next merge).
    private KeyValuePair<IdPrefix, long>[]? _plan;
    private int _next;
    private long _maxSeq;

    // Merge once the log holds this many shards; raised past the log's size after a failed merge,
    // so a full disk does not turn every batch into a failing merge.
    private int _mergeAt;

    private long _merges, _longestMergeTicks;

    public RecentLogMerger(SqliteConnection connection, WriteTransaction transaction, RecentShardIndex recent, IdIndexFilter filter, StorageOptions options, ILogger logger, string path)
    {
        _db = connection.Handle!;
        _transaction = transaction;
        _recent = recent;
        _filter = filter;
        _options = options;
        _logger = logger;
        _path = path;
        _mergeAt = options.MergeThreshold;
        // Sorted by id, the merged rows go into the id index leaf after leaf: a leaf that receives
        // many of them is written once, where inserting them as they came wrote one leaf per shard.
        const string Range = "seq <= ?1 AND id >= ?2 AND (?3 IS NULL OR id < ?3)";
        _mergeInsert = Native.Prepare(connection, $"INSERT INTO shards(id, data_id, size, stored_at, expires_at, pinned, last_verified) SELECT id, data_id, size, stored_at, expires_at, pinned, last_verified FROM recent_shards WHERE {Range} ORDER BY id");
        _mergeDelete = Native.Prepare(connection, $"DELETE FROM recent_shards WHERE {Range}");
        // The whole log at once: SQLite then frees its pages instead of deleting row by row.
        _mergeDeleteAll = Native.Prepare(connection, "DELETE FROM recent_shards");
    }

    /// <summary>Merge transactions (id ranges of the log moved into the id index) since open; for tests and benchmarks.</summary>
    public long Merges => Interlocked.Read(ref _merges);

    /// <summary>The longest merge transaction since open.</summary>
    public TimeSpan LongestMerge => TimeSpan.FromTicks(Interlocked.Read(ref _longestMergeTicks));

    /// <summary>A merge has ranges left to move.</summary>
    public bool InProgress => _plan is not null;

    /// <summary>A merge should run before the next batch: one is in progress, or the log reached the threshold.</summary>
    public bool Due => _plan is not null || _recent.Count >= _mergeAt;

    /// <summary>
    /// Closing: finishes a merge in progress, or folds a log small enough for one merge transaction
    /// (a failed range ends it; the rest stays in the log and is loaded at the next open). A larger
    /// log stays as it is, so closing never waits long.
    /// </summary>
    public void MergeBeforeClose()
    {
        if (_options.MergeOnClose && _recent.Count > 0 && (_plan is not null || _recent.Count <= _options.MergeChunkShards))
        {
            do
            {
                MergeNextRange();
            }
            while (_plan is not null);
        }
    }

    /// <summary>
    /// Moves the next id range of logged shards (<see cref="StorageOptions.MergeChunkShards"/>, or a quarter of the log if more) into the id
    /// index in id order, in one transaction between batches: a crash leaves each shard either in the
    /// log or in the index. The in-memory entries go only after the commit, so a reader never misses
    /// a shard: until then its entry leads to the log row or, once that is gone, to the merged row
    /// that the same commit made visible.
    /// </summary>
    public void MergeNextRange()
    {
        if (_plan is null)
        {
            if (_recent.Count == 0)
            {
                return;
            }

            // Every entry is committed here (merges run between transactions); sorted once per merge.
            _plan = _recent.Snapshot();
            Array.Sort(_plan, static (a, b) => a.Key.CompareTo(b.Key));
            _next = 0;
            _maxSeq = _transaction.NextDataId - 1;
        }

        var plan = _plan;
        var first = _next;
        // A quarter of the log per transaction at least: every range scans the whole log for its rows
        // and deletes them from pages all over it, so a large log in small ranges would cost the
        // square of its size.
        var end = Math.Min(plan.Length, first + Math.Max(_options.MergeChunkShards, (plan.Length + 3) / 4));
        var whole = first == 0 && end == plan.Length && _maxSeq == _transaction.NextDataId - 1;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            _transaction.Begin();
            foreach (var stmt in (ReadOnlySpan<sqlite3_stmt>)[_mergeInsert, _mergeDelete])
            {
                raw.sqlite3_bind_int64(stmt, 1, _maxSeq);
                // Prefixes are unique in the log and ordered as ids are: the range of a prefix's ids
                // starts at the prefix followed by zeros.
                Native.BindId(stmt, 2, plan[first].Key.LowestId);
                if (end < plan.Length)
                {
                    Native.BindId(stmt, 3, plan[end].Key.LowestId);
                }
                else
                {
                    raw.sqlite3_bind_null(stmt, 3);
                }
            }

            Native.Run(_db, _mergeInsert);
            Native.Run(_db, whole ? _mergeDeleteAll : _mergeDelete);
            _transaction.Commit();
        }
        catch (SqliteException e)
        {
            _transaction.Rollback();
            _plan = null;
            _mergeAt = _recent.Count + _options.MergeThreshold;
            Log.MergeFailed(_logger, _path, end - first, Errors.Map(e, _path, "merging recent shards").Reason);
            return;
        }

        for (var i = first; i < end; i++)
        {
            _recent.Merged(plan[i].Key, plan[i].Value);
            _filter.Add(plan[i].Key);
        }

        _next = end;
        if (end == plan.Length)
        {
            _plan = null;
            _mergeAt = _options.MergeThreshold;
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Interlocked.Increment(ref _merges);
        if (elapsed.Ticks > Interlocked.Read(ref _longestMergeTicks))
        {
            Interlocked.Exchange(ref _longestMergeTicks, elapsed.Ticks);
        }

        Log.Merged(_logger, _path, end - first, elapsed.TotalMilliseconds);
    }

    public void Dispose()
    {
        _mergeInsert.Dispose();
        _mergeDelete.Dispose();
        _mergeDeleteAll.Dispose();
    }
}
