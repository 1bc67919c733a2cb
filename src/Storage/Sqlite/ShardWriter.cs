using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The one connection that writes. A dedicated thread drains a bounded channel and commits up to
/// <see cref="StorageOptions.WriteBatchSize"/> operations per transaction; each operation's task
/// completes only after its transaction committed. When a batch fails (disk full, I/O error) it is
/// rolled back whole and its operations are retried one per transaction, so one failing put neither
/// takes the others down nor leaves anything half-written.
/// </summary>
internal sealed class ShardWriter : IDisposable
{
    // Payloads this small and in one segment are bound directly; larger ones are written through
    // incremental blob I/O segment by segment, so a multi-segment put is never joined in memory.
    private const int InlineWriteLimit = 64 * 1024;

    private readonly SqliteConnection _connection;
    private readonly sqlite3 _db;
    private readonly string _path;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ShardStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<WriteOperation> _queue;
    private readonly ConcurrentQueue<(ShardId Id, long At)> _verified = new();
    private readonly List<WriteOperation> _batch;
    private readonly Thread _thread;
    private int _verifiedCount;

    private readonly sqlite3_stmt _begin, _commit, _rollback;
    private readonly sqlite3_stmt _find, _touch, _insertData, _insertMeta, _deleteMeta, _deleteData;
    private readonly sqlite3_stmt _setPinned, _setVerified, _expired, _quarantine, _usage;

    // The same operations on the log of recent shards, by log row.
    private readonly sqlite3_stmt _findRecent, _touchRecent, _insertRecent, _deleteRecent, _setPinnedRecent, _setVerifiedRecent, _expiredWithRecent, _quarantineRecent;
    private readonly sqlite3_stmt _mergeInsert, _mergeDelete, _mergeDeleteAll;

    // A put's two appends, called through the raw statement; the id they bind, in place.
    private readonly StatementHandle _insertRecentHandle, _insertDataHandle;
    private readonly byte[] _idBuffer = StatementHandle.NewIdBuffer();

    // The merge in progress: the log's entries sorted by id when it started, the next range to move,
    // and the last log row it covers (shards logged after it started wait for the next merge).
    private KeyValuePair<IdPrefix, long>[]? _mergePlan;
    private int _mergeNext;
    private long _mergeMaxSeq;
    private readonly RecentShardIndex _recent;

    // Owners' holds on shards and each owner's totals.
    private readonly HoldTable _holds;

    /// <summary>Expired, unpinned shards of both tables, soonest first; each part reads its table's partial expiry index.</summary>
    internal const string ExpiredWithRecentSql = "SELECT id, expires_at FROM shards WHERE pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 UNION ALL SELECT id, expires_at FROM recent_shards WHERE pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY 2 LIMIT ?2";

    // Merge once the log holds this many shards; raised past the log's size after a failed merge,
    // so a full disk does not turn every batch into a failing merge.
    private int _mergeAt;

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

    private readonly PutOperationPool _puts;

    // WAL frames appended since the last checkpoint request, and since the WAL was last known to be
    // fully copied. Counted from SQLite's own per-connection page-write statistic.
    private readonly WalCheckpointer _checkpointer;
    private long _framesSinceRequest, _framesInWal;

    /// <summary>Frames appended before the checkpointer is asked to copy them (16 MiB at 4 KiB pages).</summary>
    internal const int CheckpointRequestFrames = 4096;

    /// <summary>
    /// Frames after which the writer completes a checkpoint itself between transactions. A background
    /// checkpoint can never catch up with a writer that keeps appending, and SQLite only restarts the
    /// WAL from its beginning once every frame was copied, so without this the WAL would grow for as
    /// long as puts keep coming. By then the checkpointer has copied nearly everything, so what the
    /// writer copies here is the short tail.
    /// </summary>
    internal const int WalFrameLimit = 4 * CheckpointRequestFrames;
    private readonly ConcurrentQueue<BatchCompletion> _completions = new();

    // The id filter the duplicate check consults (writer thread; set once built), the one being built
    // (merges add to both), its scan's thread, and how to open the scan's connection.
    private ShardIdFilter? _filter;
    private ShardIdFilter? _building;
    private Thread? _builder;
    private volatile bool _stopping;
    private readonly Func<SqliteConnection> _openScanConnection;
    private readonly TaskCompletionSource _firstFilter = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _indexLookupsSkipped;

    public ShardWriter(SqliteConnection connection, WalCheckpointer checkpointer, RecentShardIndex recent, string path, StorageOptions options, TimeProvider time, ShardStoreMetrics metrics, ILogger logger, Func<SqliteConnection> openScanConnection)
    {
        _openScanConnection = openScanConnection;
        _recent = recent;
        _mergeAt = options.MergeThreshold;
        _logger = logger;
        _connection = connection;
        _db = connection.Handle!;
        _path = path;
        _options = options;
        _time = time;
        _metrics = metrics;
        _batch = new List<WriteOperation>(options.WriteBatchSize);
        _queue = Channel.CreateBounded<WriteOperation>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        _begin = Native.Prepare(connection, "BEGIN IMMEDIATE");
        _commit = Native.Prepare(connection, "COMMIT");
        _rollback = Native.Prepare(connection, "ROLLBACK");
        _find = Native.Prepare(connection, "SELECT expires_at, pinned FROM shards WHERE id = ?1");
        // A log row is found by its number, the id confirms it: the log index keeps only a prefix of each id.
        _findRecent = Native.Prepare(connection, "SELECT expires_at, pinned FROM recent_shards WHERE seq = ?1 AND id = ?2");
        _touchRecent = Native.Prepare(connection, "UPDATE recent_shards SET expires_at = ?2, pinned = ?3 WHERE seq = ?1");
        // An append at the end of a rowid table: the pages a batch dirties are the few last ones.
        _insertRecent = Native.Prepare(connection, "INSERT INTO recent_shards(seq, id, data_id, size, stored_at, expires_at, pinned, last_verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)");
        _deleteRecent = Native.Prepare(connection, "DELETE FROM recent_shards WHERE seq = ?1 AND id = ?2 RETURNING data_id, size");
        _setPinnedRecent = Native.Prepare(connection, "UPDATE recent_shards SET pinned = ?2 WHERE seq = ?1 AND id = ?3");
        _setVerifiedRecent = Native.Prepare(connection, "UPDATE recent_shards SET last_verified = ?2 WHERE seq = ?1 AND id = ?3 AND (last_verified IS NULL OR last_verified < ?2)");
        _expiredWithRecent = Native.Prepare(connection, ExpiredWithRecentSql);
        _quarantineRecent = Native.Prepare(connection, "INSERT OR REPLACE INTO quarantine(id, size, stored_at, detected_at, reason) SELECT id, size, stored_at, ?2, ?3 FROM recent_shards WHERE seq = ?1 AND id = ?4");
        // Sorted by id, the merged rows go into the id index leaf after leaf: a leaf that receives
        // many of them is written once, where inserting them as they came wrote one leaf per shard.
        const string Range = "seq <= ?1 AND id >= ?2 AND (?3 IS NULL OR id < ?3)";
        _mergeInsert = Native.Prepare(connection, $"INSERT INTO shards(id, data_id, size, stored_at, expires_at, pinned, last_verified) SELECT id, data_id, size, stored_at, expires_at, pinned, last_verified FROM recent_shards WHERE {Range} ORDER BY id");
        _mergeDelete = Native.Prepare(connection, $"DELETE FROM recent_shards WHERE {Range}");
        // The whole log at once: SQLite then frees its pages instead of deleting row by row.
        _mergeDeleteAll = Native.Prepare(connection, "DELETE FROM recent_shards");
        _touch = Native.Prepare(connection, "UPDATE shards SET expires_at = ?2, pinned = ?3 WHERE id = ?1");
        _insertMeta = Native.Prepare(connection, "INSERT INTO shards(id, data_id, size, stored_at, expires_at, pinned, last_verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)");
        _insertData = Native.Prepare(connection, "INSERT INTO shard_data(rowid, data) VALUES (?1, ?2)");
        _insertRecentHandle = new StatementHandle(_insertRecent);
        _insertDataHandle = new StatementHandle(_insertData);
        _deleteMeta = Native.Prepare(connection, "DELETE FROM shards WHERE id = ?1 RETURNING data_id, size");
        _deleteData = Native.Prepare(connection, "DELETE FROM shard_data WHERE rowid = ?1");
        _setPinned = Native.Prepare(connection, "UPDATE shards SET pinned = ?2 WHERE id = ?1");
        _setVerified = Native.Prepare(connection, "UPDATE shards SET last_verified = ?2 WHERE id = ?1 AND (last_verified IS NULL OR last_verified < ?2)");
        _expired = Native.Prepare(connection, "SELECT id FROM shards WHERE pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2");
        _quarantine = Native.Prepare(connection, "INSERT OR REPLACE INTO quarantine(id, size, stored_at, detected_at, reason) SELECT id, size, stored_at, ?2, ?3 FROM shards WHERE id = ?1");
        _usage = Native.Prepare(connection, "UPDATE usage SET shard_count = ?1, used_bytes = ?2, next_data_id = ?3 WHERE id = 0");
        _holds = new HoldTable(connection);

        // Checkpoints run on the checkpointer's connection; this one only appends to the WAL.
        Schema.Execute(connection, "PRAGMA wal_autocheckpoint = 0");
        _checkpointer = checkpointer;

        _shardCount = Schema.Scalar(connection, "SELECT shard_count FROM usage WHERE id = 0");
        _usedBytes = Schema.Scalar(connection, "SELECT used_bytes FROM usage WHERE id = 0");
        // Past every number ever given out (kept with the totals), every payload row and every log row:
        // a row lost from a damaged file is still named by its metadata, and must not name a new shard too.
        _nextDataId = Math.Max(
            Math.Max(Schema.Scalar(connection, "SELECT next_data_id FROM usage WHERE id = 0"), Schema.Scalar(connection, "SELECT coalesce(max(rowid), 0) + 1 FROM shard_data")),
            LoadRecent(connection, recent));
        _committedNextDataId = _nextDataId;
        _puts = new PutOperationPool(options.WriteQueueCapacity + options.WriteBatchSize);

        StartFilterBuild();
        _thread = new Thread(Run) { IsBackground = true, Name = "Overlay shard writer" };
        _thread.Start();
    }

    public long ShardCount => Interlocked.Read(ref _shardCount);

    /// <summary>Merge transactions (id ranges of the log moved into the id index) since open, and the longest one; for tests and benchmarks.</summary>
    public long Merges => Interlocked.Read(ref _merges);

    public TimeSpan LongestMerge => TimeSpan.FromTicks(Interlocked.Read(ref _longestMergeTicks));

    private long _merges, _longestMergeTicks;

    /// <summary>Loads the log's ids into the in-memory index (at most a merge threshold of rows, plus a little); returns the next free seq.</summary>
    private static long LoadRecent(SqliteConnection connection, RecentShardIndex recent)
    {
        var db = connection.Handle!;
        // The log can hold a million rows: read as spans, one statement, no managed row objects.
        using var count = Native.Prepare(connection, "SELECT count(*) FROM recent_shards");
        Native.Step(db, count);
        recent.Reserve(raw.sqlite3_column_int(count, 0));
        using var statement = Native.Prepare(connection, "SELECT seq, id, coalesce(last_verified, 0) FROM recent_shards");
        var rows = new StatementHandle(statement);
        long last = 0;
        List<long>? displaced = null;
        while (rows.Step(db))
        {
            var seq = rows.ColumnInt64(0);
            var previous = recent.Load(Native.IdFrom(rows.ColumnBlob(1)), seq, VerifiedMinute(rows.ColumnInt64(2)));
            if (previous != 0)
            {
                (displaced ??= []).Add(previous);
            }

            last = Math.Max(last, seq);
        }

        if (displaced is not null)
        {
            MoveToIndex(connection, displaced);
        }

        return last + 1;
    }

    /// <summary>
    /// Moves log rows into the id index at open: rows whose id prefix a later log row also has (a file
    /// written before the log index kept prefixes), which the index could not reach.
    /// </summary>
    private static void MoveToIndex(SqliteConnection connection, List<long> seqs)
    {
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT OR IGNORE INTO shards(id, data_id, size, stored_at, expires_at, pinned, last_verified) SELECT id, data_id, size, stored_at, expires_at, pinned, last_verified FROM recent_shards WHERE seq = $seq";
        var insertSeq = insert.Parameters.Add("$seq", SqliteType.Integer);
        using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM recent_shards WHERE seq = $seq";
        var deleteSeq = delete.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var seq in seqs)
        {
            insertSeq.Value = seq;
            // An id the index already holds (only in a damaged file) keeps its log row: it is found in the index.
            if (insert.ExecuteNonQuery() > 0)
            {
                deleteSeq.Value = seq;
                delete.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    /// <summary>The Unix minute of a time in Unix milliseconds, as the log index keeps verification times.</summary>
    public static int VerifiedMinute(long unixMilliseconds) => (int)Math.Clamp(unixMilliseconds / 60_000, 0, int.MaxValue);

    public long CompletedCheckpoints => _checkpointer.Completed;

    /// <summary>WAL frames (pages) appended by this writer since open.</summary>
    public long FramesWritten => Interlocked.Read(ref _framesWritten);

    private long _framesWritten;

    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    /// <summary>The committed totals of one owner's holds.</summary>
    public OwnerUsage OwnerUsage(in PeerId owner) => _holds.Usage(owner);

    /// <summary>Queues an operation, waiting while the queue is full.</summary>
    public async ValueTask EnqueueAsync(WriteOperation operation, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new StorageException(StorageErrorReason.Closed, $"The shard store '{_path}' is closed.", e) { FilePath = _path };
        }
    }

    /// <summary>A pooled put operation, ready to queue.</summary>
    public PutOperation RentPut(in ShardId id, in ReadOnlySequence<byte> data, in ShardPutOptions options, CancellationToken cancellationToken)
    {
        var operation = _puts.Rent();
        operation.Prepare(_puts, id, data, options, cancellationToken);
        return operation;
    }

    /// <summary>Queues an operation if there is room now; false if the queue is full or closed.</summary>
    public bool TryEnqueue(WriteOperation operation) => _queue.Writer.TryWrite(operation);

    /// <summary>Records that a read verified a shard; written in the background, dropped when the queue is full.</summary>
    public void RecordVerified(in ShardId id, long atUnixMilliseconds)
    {
        if (Interlocked.Increment(ref _verifiedCount) > _options.BookkeepingQueueCapacity)
        {
            Interlocked.Decrement(ref _verifiedCount);
            _metrics.BookkeepingDropped.Add(1);
            return;
        }

        _verified.Enqueue((id, atUnixMilliseconds));
        _recent.MarkVerified(id, VerifiedMinute(atUnixMilliseconds));
    }

    public StorageException OwnerQuotaError(long size, in ShardPutOptions options)
    {
        var owner = options.Owner.GetValueOrDefault();
        var usage = _holds.Current(owner);
        return new StorageException(
            StorageErrorReason.OwnerQuotaExceeded,
            $"Holding a shard of {size} bytes for {owner} in '{_path}' (charged {size + StorageUsage.ShardOverheadBytes}) would exceed that owner's limit of {options.OwnerCapacityBytes} bytes ({usage.ShardCount} shards, {usage.UsedBytes} payload bytes, {usage.ChargedBytes} charged); nothing was written.")
        { FilePath = _path };
    }

    public StorageException QuotaError(long size) => new(
        StorageErrorReason.QuotaExceeded,
        $"Storing a shard of {size} bytes in '{_path}' (charged {size + StorageUsage.ShardOverheadBytes}) would exceed the quota of {_options.CapacityBytes} bytes ({ShardCount} shards, {UsedBytes} payload bytes, {StorageUsage.Charge(ShardCount, UsedBytes)} charged); nothing was written.")
    { FilePath = _path };

    // ---- Operations, called on the writer thread inside an open transaction. ----

    public PutOutcome Put(in ShardId id, in ReadOnlySequence<byte> data, in ShardPutOptions options)
    {
        if (options.Owner is not { } owner)
        {
            return PutShard(id, data, options);
        }

        // A hold the owner does not have yet is charged to it: past its limit, refused before anything is written.
        var size = data.Length;
        var newHold = !_holds.TryFind(id, owner, out var held);
        if (newHold && options.OwnerCapacityBytes is { } limit)
        {
            var usage = _holds.Current(owner);
            if (StorageUsage.Charge(usage.ShardCount + 1, usage.UsedBytes + size) > limit)
            {
                return PutOutcome.OwnerQuotaExceeded;
            }
        }

        var outcome = PutShard(id, data, options);
        if (outcome is PutOutcome.Stored or PutOutcome.AlreadyStored)
        {
            var expiresAt = options.ExpiresAt?.ToUnixTimeMilliseconds();
            if (newHold)
            {
                _holds.Add(id, owner, size, expiresAt);
            }
            else if (LaterExpiry(held, expiresAt) is var kept && kept != held)
            {
                _holds.SetExpiry(id, owner, kept);
            }
        }

        return outcome;
    }

    /// <summary>
    /// Extends a stored shard's expiry and, with an owner, that owner's hold; false, changing nothing,
    /// when the shard is not stored or the owner holds no hold on it.
    /// </summary>
    public bool Renew(in ShardId id, PeerId? owner, DateTimeOffset? expiresAt)
    {
        long? held = null;
        if (owner is { } holder && !_holds.TryFind(id, holder, out held))
        {
            return false;
        }

        // A hold lives only as long as its shard (both go in one transaction), so a hold found means a shard found.
        if (!Touch(id, new ShardPutOptions(expiresAt)))
        {
            return false;
        }

        var kept = LaterExpiry(held, expiresAt?.ToUnixTimeMilliseconds());
        if (owner is { } o && kept != held)
        {
            _holds.SetExpiry(id, o, kept);
        }

        return true;
    }

    /// <summary>The later of two expiries in Unix milliseconds, where null (never) is later than any.</summary>
    private static long? LaterExpiry(long? a, long? b) => a is null || b is null ? null : Math.Max(a.Value, b.Value);

    private PutOutcome PutShard(in ShardId id, in ReadOnlySequence<byte> data, in ShardPutOptions options)
    {
        var size = data.Length;
        if (StorageUsage.Charge(_shardCount + _txCount + 1, _usedBytes + _txBytes + size) > _options.CapacityBytes)
        {
            // Over quota only a put of content already stored can succeed; look before refusing.
            return Touch(id, options) ? PutOutcome.AlreadyStored : PutOutcome.QuotaExceeded;
        }

        // A duplicate check only reads (the in-memory log index, then one descent of the id index,
        // whose pages are cached); the new shard is appended to the log, not inserted into the index.
        if (Touch(id, options))
        {
            return PutOutcome.AlreadyStored;
        }

        var newExpiry = options.ExpiresAt?.ToUnixTimeMilliseconds();
        // The log row and the payload row share their number (see RecentShardIndex).
        var dataId = _nextDataId;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_recent.TryGet(id, out _))
        {
            // Another logged shard's id starts with the same 12 bytes, and the log index holds one
            // shard per prefix: this one goes straight into the id index, found there by its full id.
            InsertIndexed(id, dataId, size, now, newExpiry, options.Pinned);
        }
        else
        {
            InsertLogged(id, dataId, size, now, newExpiry, options.Pinned);
        }

        _nextDataId++;
        InsertPayload(dataId, data);
        _txCount++;
        _txBytes += size;
        return PutOutcome.Stored;
    }

    private void InsertLogged(in ShardId id, long dataId, long size, long now, long? expiresAt, bool pinned)
    {
        _insertRecentHandle.BindNullableInt64(6, expiresAt);
        _insertRecentHandle.BindInt64(1, dataId);
        _insertRecentHandle.BindId(2, id, _idBuffer);
        _insertRecentHandle.BindInt64(3, dataId);
        _insertRecentHandle.BindInt64(4, size);
        _insertRecentHandle.BindInt64(5, now);
        _insertRecentHandle.BindInt64(7, pinned ? 1 : 0);
        _insertRecentHandle.Run(_db);
        _recent.Add(id, dataId, VerifiedMinute(now));
    }

    private void InsertIndexed(in ShardId id, long dataId, long size, long now, long? expiresAt, bool pinned)
    {
        Native.BindId(_insertMeta, 1, id);
        raw.sqlite3_bind_int64(_insertMeta, 2, dataId);
        raw.sqlite3_bind_int64(_insertMeta, 3, size);
        raw.sqlite3_bind_int64(_insertMeta, 4, now);
        Native.BindNullableInt64(_insertMeta, 5, expiresAt);
        raw.sqlite3_bind_int(_insertMeta, 6, pinned ? 1 : 0);
        Native.Run(_db, _insertMeta);
        // A filter that says "maybe" for an id whose insert rolls back costs one look-up, nothing more.
        _filter?.Add(id);
        _building?.Add(id);
    }

    private void InsertPayload(long dataId, in ReadOnlySequence<byte> data)
    {
        var size = data.Length;
        var inline = data.IsSingleSegment && size <= InlineWriteLimit;
        _insertDataHandle.BindInt64(1, dataId);
        if (inline)
        {
            _insertDataHandle.RunWithBlob(_db, 2, data.FirstSpan);
        }
        else
        {
            raw.sqlite3_bind_zeroblob(_insertData, 2, (int)size);
            _insertDataHandle.Run(_db);
        }

        if (!inline)
        {
            using var blob = new SqliteBlob(_connection, "shard_data", "data", dataId);
            foreach (var segment in data)
            {
                blob.Write(segment.Span);
            }
        }
    }

    /// <summary>
    /// A put of content already stored: keeps the longer life and any pin (the bytes are the same by
    /// construction). False if the id is not stored.
    /// </summary>
    private bool Touch(in ShardId id, in ShardPutOptions options) =>
        (_recent.TryGet(id, out var seq) && Touch(id, seq, options)) || (MayBeIndexed(id) && Touch(id, 0, options));

    /// <summary>False when the id filter shows <paramref name="id"/> is not in <c>shards</c>, so no look-up is needed.</summary>
    private bool MayBeIndexed(in ShardId id)
    {
        if (_filter is not { } filter || filter.MayContain(id))
        {
            return true;
        }

        _indexLookupsSkipped++;
        return false;
    }

    /// <summary>Id filters started since open (the first at open, then one per rebuild); for tests.</summary>
    public long FilterBuilds => Interlocked.Read(ref _filterBuilds);

    private long _filterBuilds;

    /// <summary>Duplicate checks the id filter answered without reading the index; for tests.</summary>
    public long IndexLookupsSkipped => Interlocked.Read(ref _indexLookupsSkipped);

    /// <summary>Completes when the first id filter built at open is ready (or its build failed or stopped).</summary>
    public Task FirstFilterBuilt => _firstFilter.Task;

    /// <summary>
    /// Starts filling a new filter from a scan of <c>shards</c> on its own thread and connection. Set
    /// as <see cref="_building"/> first, on the writer thread, so every merge committed from now on
    /// adds its ids to it too: whatever the scan's snapshot misses, a merge added.
    /// </summary>
    private void StartFilterBuild()
    {
        // The previous build is done (its filter is in use); only its connection may still be closing.
        _builder?.Join();
        var filter = new ShardIdFilter(Math.Max(2 * ShardCount, _options.IdFilterMinimumCapacity), _options.IdFilterMinimumCapacity);
        _building = filter;
        Interlocked.Increment(ref _filterBuilds);
        _builder = new Thread(() => BuildFilter(filter)) { IsBackground = true, Name = "Overlay shard filter" };
        _builder.Start();
    }

    private void BuildFilter(ShardIdFilter filter)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var connection = _openScanConnection();
            // One statement, one snapshot of the index.
            using var scan = Native.Prepare(connection, "SELECT id FROM shards");
            var db = connection.Handle!;
            var rows = 0;
            while (Native.Step(db, scan))
            {
                if ((++rows & 4095) == 0 && _stopping)
                {
                    return;
                }

                filter.Add(Native.ColumnId(scan, 0));
            }

            filter.MarkReady();
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.FilterBuilt(_logger, _path, filter.Count, filter.Bytes, elapsed);
        }
        catch (Exception e)
        {
            // Whatever it is must not end the process from a background thread, and nothing is lost:
            // without a filter every duplicate check reads the index, as it always did.
            var reason = e is SqliteException sqlite ? Errors.Map(sqlite, _path, "building the id filter").Reason : StorageErrorReason.IoError;
            Log.FilterFailed(_logger, _path, reason);
        }
        finally
        {
            _firstFilter.TrySetResult();
        }
    }

    /// <summary>Between transactions: takes a finished filter into use, and starts a larger one once the current one is full.</summary>
    private void TendFilter()
    {
        if (_building is { Ready: true } built)
        {
            _filter = built;
            _building = null;
        }
        else if (_building is null && _filter is { } filter && filter.Count > filter.Capacity)
        {
            StartFilterBuild();
        }
    }

    /// <summary>Touches the log row <paramref name="seq"/>, or with 0 the row of <paramref name="id"/> in <c>shards</c>.</summary>
    private bool Touch(in ShardId id, long seq, in ShardPutOptions options)
    {
        var (find, touch) = seq != 0 ? (_findRecent, _touchRecent) : (_find, _touch);
        BindRow(find, id, seq);
        long? expiresAt;
        bool pinned;
        try
        {
            if (!Native.Step(_db, find))
            {
                return false;
            }

            expiresAt = Native.ColumnNullableInt64(find, 0);
            pinned = raw.sqlite3_column_int(find, 1) != 0;
        }
        finally
        {
            raw.sqlite3_reset(find);
        }

        var keptExpiry = LaterExpiry(expiresAt, options.ExpiresAt?.ToUnixTimeMilliseconds());
        var keptPin = pinned || options.Pinned;
        if (keptExpiry != expiresAt || keptPin != pinned)
        {
            // The row was confirmed above: the log's by number alone.
            if (seq != 0)
            {
                raw.sqlite3_bind_int64(touch, 1, seq);
            }
            else
            {
                Native.BindId(touch, 1, id);
            }

            Native.BindNullableInt64(touch, 2, keptExpiry);
            raw.sqlite3_bind_int(touch, 3, keptPin ? 1 : 0);
            Native.Run(_db, touch);
        }

        return true;
    }

    /// <summary>Binds the log row <paramref name="seq"/> (1) and the id it must hold (2), or with 0 the id (1) for <c>shards</c>.</summary>
    private static void BindRow(sqlite3_stmt stmt, in ShardId id, long seq)
    {
        if (seq != 0)
        {
            raw.sqlite3_bind_int64(stmt, 1, seq);
            Native.BindId(stmt, 2, id);
        }
        else
        {
            Native.BindId(stmt, 1, id);
        }
    }

    public bool Delete(in ShardId id)
    {
        if (_recent.TryGet(id, out var seq) && Delete(id, seq))
        {
            _recent.Remove(id, seq);
        }
        else if (!Delete(id, 0))
        {
            return false;
        }

        _holds.RemoveAll(id);
        return true;
    }

    /// <summary>Deletes the log row <paramref name="seq"/>, or with 0 the row of <paramref name="id"/> in <c>shards</c>, and its payload.</summary>
    private bool Delete(in ShardId id, long seq)
    {
        var delete = seq != 0 ? _deleteRecent : _deleteMeta;
        BindRow(delete, id, seq);
        long dataId, size;
        try
        {
            if (!Native.Step(_db, delete))
            {
                return false;
            }

            dataId = raw.sqlite3_column_int64(delete, 0);
            size = raw.sqlite3_column_int64(delete, 1);
            while (Native.Step(_db, delete))
            {
            }
        }
        finally
        {
            raw.sqlite3_reset(delete);
        }

        raw.sqlite3_bind_int64(_deleteData, 1, dataId);
        Native.Run(_db, _deleteData);
        _txCount--;
        _txBytes -= size;
        return true;
    }

    public bool SetPinned(in ShardId id, bool pinned)
    {
        if (_recent.TryGet(id, out var seq))
        {
            raw.sqlite3_bind_int64(_setPinnedRecent, 1, seq);
            raw.sqlite3_bind_int(_setPinnedRecent, 2, pinned ? 1 : 0);
            Native.BindId(_setPinnedRecent, 3, id);
            Native.Run(_db, _setPinnedRecent);
            if (raw.sqlite3_changes(_db) > 0)
            {
                return true;
            }
        }

        Native.BindId(_setPinned, 1, id);
        raw.sqlite3_bind_int(_setPinned, 2, pinned ? 1 : 0);
        Native.Run(_db, _setPinned);
        return raw.sqlite3_changes(_db) > 0;
    }

    /// <summary>Deletes expired shards, then releases expired holds of shards that stay, at most <paramref name="batchSize"/> in all.</summary>
    public ExpirySweep CollectExpired(long nowUnixMilliseconds, int batchSize)
    {
        Span<ShardId> ids = batchSize <= 256 ? stackalloc ShardId[batchSize] : new ShardId[batchSize];
        var count = 0;
        // Both tables have a partial index of collectable shards by expiry; the log's is used only while it holds shards.
        var expired = _recent.Count > 0 ? _expiredWithRecent : _expired;
        raw.sqlite3_bind_int64(expired, 1, nowUnixMilliseconds);
        raw.sqlite3_bind_int(expired, 2, batchSize);
        try
        {
            while (count < batchSize && Native.Step(_db, expired))
            {
                ids[count++] = Native.ColumnId(expired, 0);
            }
        }
        finally
        {
            raw.sqlite3_reset(expired);
        }

        var deleted = 0;
        for (var i = 0; i < count; i++)
        {
            if (Delete(ids[i]))
            {
                deleted++;
            }
        }

        // The shards' own holds went with them; what expired of the rest is released with what is left of the batch.
        var released = count < batchSize ? _holds.ReleaseExpired(nowUnixMilliseconds, batchSize - count) : 0;
        return new ExpirySweep(deleted, released);
    }

    public bool Quarantine(in ShardId id, string reason)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var quarantined = false;
        if (_recent.TryGet(id, out var seq))
        {
            raw.sqlite3_bind_int64(_quarantineRecent, 1, seq);
            raw.sqlite3_bind_int64(_quarantineRecent, 2, now);
            raw.sqlite3_bind_text(_quarantineRecent, 3, reason);
            Native.BindId(_quarantineRecent, 4, id);
            Native.Run(_db, _quarantineRecent);
            quarantined = raw.sqlite3_changes(_db) > 0;
        }

        if (!quarantined)
        {
            Native.BindId(_quarantine, 1, id);
            raw.sqlite3_bind_int64(_quarantine, 2, now);
            raw.sqlite3_bind_text(_quarantine, 3, reason);
            Native.Run(_db, _quarantine);
        }

        return Delete(id);
    }

    /// <summary>
    /// Moves the next id range of logged shards (<see cref="StorageOptions.MergeChunkShards"/>, or a quarter of the log if more) into the id
    /// index in id order, in one transaction between batches: a crash leaves each shard either in the
    /// log or in the index. The in-memory entries go only after the commit, so a reader never misses
    /// a shard: until then its entry leads to the log row or, once that is gone, to the merged row
    /// that the same commit made visible.
    /// </summary>
    private void MergeRecent()
    {
        if (_mergePlan is null)
        {
            if (_recent.Count == 0)
            {
                return;
            }

            // Every entry is committed here (merges run between transactions); sorted once per merge.
            _mergePlan = _recent.Snapshot();
            Array.Sort(_mergePlan, static (a, b) => a.Key.CompareTo(b.Key));
            _mergeNext = 0;
            _mergeMaxSeq = _nextDataId - 1;
        }

        var plan = _mergePlan;
        var first = _mergeNext;
        // A quarter of the log per transaction at least: every range scans the whole log for its rows
        // and deletes them from pages all over it, so a large log in small ranges would cost the
        // square of its size.
        var end = Math.Min(plan.Length, first + Math.Max(_options.MergeChunkShards, (plan.Length + 3) / 4));
        var whole = first == 0 && end == plan.Length && _mergeMaxSeq == _nextDataId - 1;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            Begin();
            foreach (var stmt in (ReadOnlySpan<sqlite3_stmt>)[_mergeInsert, _mergeDelete])
            {
                raw.sqlite3_bind_int64(stmt, 1, _mergeMaxSeq);
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
            CommitWithUsage();
        }
        catch (SqliteException e)
        {
            Rollback();
            _mergePlan = null;
            _mergeAt = _recent.Count + _options.MergeThreshold;
            Log.MergeFailed(_logger, _path, end - first, Errors.Map(e, _path, "merging recent shards").Reason);
            return;
        }

        for (var i = first; i < end; i++)
        {
            _recent.Merged(plan[i].Key, plan[i].Value);
            _filter?.Add(plan[i].Key);
            _building?.Add(plan[i].Key);
        }

        _mergeNext = end;
        if (end == plan.Length)
        {
            _mergePlan = null;
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

    // ---- The loop. ----

    private void Run()
    {
        var reader = _queue.Reader;
        while (true)
        {
            if (_mergePlan is not null || _recent.Count >= _mergeAt)
            {
                MergeRecent();
            }

            if (!reader.TryPeek(out _))
            {
                FlushBookkeeping();
                RequestIdleCheckpoint();
                if (_mergePlan is not null)
                {
                    // Nothing queued: go on with the merge in progress.
                    continue;
                }

                // Blocking here is fine: this thread exists only to write.
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    break;
                }
            }

            _batch.Clear();
            while (_batch.Count < _options.WriteBatchSize && reader.TryRead(out var operation))
            {
                if (operation.CancellationToken.IsCancellationRequested)
                {
                    // A put reports its cancellation with the batch, off this thread; the others report it now.
                    operation.Cancel();
                    if (operation is PutOperation)
                    {
                        _batch.Add(operation);
                    }

                    continue;
                }

                _batch.Add(operation);
            }

            if (_batch.Count > 0)
            {
                TendFilter();
                ExecuteBatch();
            }

            if (Volatile.Read(ref _verifiedCount) >= 1024)
            {
                FlushBookkeeping();
            }
        }

        if (_options.MergeOnClose && _recent.Count > 0 && (_mergePlan is not null || _recent.Count <= _options.MergeChunkShards))
        {
            // Closing: finish a merge in progress, or fold a log small enough for one merge transaction
            // (a failed range ends it; the rest stays in the log and is loaded at the next open). A larger
            // log stays as it is, so closing never waits long.
            do
            {
                MergeRecent();
            }
            while (_mergePlan is not null);
        }

        FlushBookkeeping();
    }

    private void ExecuteBatch()
    {
        try
        {
            Begin();
            foreach (var operation in _batch)
            {
                if (!operation.Cancelled)
                {
                    operation.Execute(this);
                }
            }

            CommitWithUsage();
        }
        catch (Exception)
        {
            Rollback();
            // Retry one by one: only the operations that fail on their own are reported as failed.
            foreach (var operation in _batch)
            {
                if (operation.Cancelled)
                {
                    continue;
                }

                try
                {
                    Begin();
                    operation.Execute(this);
                    CommitWithUsage();
                }
                catch (SqliteException e)
                {
                    Rollback();
                    CountFailure(operation, e);
                    var error = Errors.Map(e, _path, "writing");
                    Log.WriteFailed(_logger, _path, error.Reason);
                    operation.Fail(error);
                    continue;
                }
                catch (Exception e)
                {
                    // Whatever it is, it is reported to its caller and must not end the writer thread.
                    Rollback();
                    operation.Fail(new StorageException(StorageErrorReason.IoError, $"Writing to the shard store '{_path}' failed: {e.Message}", e) { FilePath = _path });
                    continue;
                }
            }

            CompleteAfterCommit();
            return;
        }

        _metrics.BatchSize.Record(_batch.Count);
        CompleteAfterCommit();
    }

    /// <summary>
    /// Hands the committed batch to one thread-pool work item that reports every outcome, so the
    /// writer thread goes straight on to the next transaction and a batch of a thousand puts costs
    /// one hand-off instead of a thousand.
    /// </summary>
    private void CompleteAfterCommit()
    {
        if (!_completions.TryDequeue(out var completion))
        {
            completion = new BatchCompletion(this, _options.WriteBatchSize);
        }

        completion.Take(_batch);
        _batch.Clear();
        ThreadPool.UnsafeQueueUserWorkItem(completion, preferLocal: false);
    }

    private void ReturnCompletion(BatchCompletion completion) => _completions.Enqueue(completion);

    /// <summary>Reports the outcomes of one committed batch, off the writer thread.</summary>
    private sealed class BatchCompletion(ShardWriter owner, int capacity) : IThreadPoolWorkItem
    {
        private WriteOperation[] _operations = new WriteOperation[capacity];
        private int _count;

        public void Take(List<WriteOperation> batch)
        {
            if (_operations.Length < batch.Count)
            {
                _operations = new WriteOperation[batch.Count];
            }

            batch.CopyTo(_operations);
            _count = batch.Count;
        }

        public void Execute()
        {
            // Counted before anyone hears back, so a caller that reads the counters after its put sees it.
            long stored = 0, duplicate = 0, quota = 0, ownerQuota = 0;
            for (var i = 0; i < _count; i++)
            {
                if (_operations[i] is PutOperation put)
                {
                    switch (put.Outcome)
                    {
                        case PutOutcome.Stored:
                            stored++;
                            break;
                        case PutOutcome.AlreadyStored:
                            duplicate++;
                            break;
                        case PutOutcome.QuotaExceeded:
                            quota++;
                            break;
                        case PutOutcome.OwnerQuotaExceeded:
                            ownerQuota++;
                            break;
                    }
                }
            }

            var puts = owner._metrics.Puts;
            if (stored > 0)
            {
                puts.Add(stored, new KeyValuePair<string, object?>("result", "stored"));
            }

            if (duplicate > 0)
            {
                puts.Add(duplicate, new KeyValuePair<string, object?>("result", "duplicate"));
            }

            if (quota > 0)
            {
                puts.Add(quota, new KeyValuePair<string, object?>("result", "quota"));
            }

            if (ownerQuota > 0)
            {
                puts.Add(ownerQuota, new KeyValuePair<string, object?>("result", "owner_quota"));
            }

            for (var i = 0; i < _count; i++)
            {
                var operation = _operations[i];
                _operations[i] = null!;
                // Operations that failed in the one-by-one retry were told already (a second
                // completion of their task source is a no-op; failed puts report their staged error).
                operation.Complete();
            }

            _count = 0;
            owner.ReturnCompletion(this);
        }
    }

    private void CountFailure(WriteOperation operation, SqliteException e)
    {
        if (operation is PutOperation)
        {
            _metrics.Puts.Add(1, new KeyValuePair<string, object?>("result", (e.SqliteErrorCode & 0xFF) == Native.Full ? "disk_full" : "failed"));
        }
    }

    private void Begin()
    {
        _txCount = 0;
        _txBytes = 0;
        _holds.RolledBack();
        Native.Run(_db, _begin);
    }

    private void CommitWithUsage()
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
        CountWalFrames();
        Interlocked.Add(ref _shardCount, _txCount);
        Interlocked.Add(ref _usedBytes, _txBytes);
        _txCount = 0;
        _txBytes = 0;
    }

    private void CountWalFrames()
    {
        // In WAL mode every page a commit writes is one WAL frame.
        raw.sqlite3_db_status(_db, raw.SQLITE_DBSTATUS_CACHE_WRITE, out var written, out _, 1);
        Interlocked.Add(ref _framesWritten, written);
        _framesSinceRequest += written;
        _framesInWal += written;
        if (_framesSinceRequest >= CheckpointRequestFrames)
        {
            _framesSinceRequest = 0;
            _checkpointer.Request();
        }

        if (_framesInWal >= WalFrameLimit)
        {
            // Waits for a background checkpoint in progress, then copies the rest itself. Incomplete
            // (a reader still uses old frames): try again a little later.
            _framesInWal = _checkpointer.Checkpoint(_db) ? 0 : WalFrameLimit - (CheckpointRequestFrames / 4);
        }
    }

    /// <summary>The queue ran dry: let the checkpointer copy what is left, so idle readers find every page in the database file.</summary>
    private void RequestIdleCheckpoint()
    {
        if (_framesSinceRequest > 0)
        {
            _framesSinceRequest = 0;
            _checkpointer.Request();
        }
    }

    private void Rollback()
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

    /// <summary>Writes queued last-verified times in one transaction; bookkeeping failures are not fatal.</summary>
    private void FlushBookkeeping()
    {
        if (_verified.IsEmpty)
        {
            return;
        }

        try
        {
            Begin();
            var n = 0;
            while (n < 8192 && _verified.TryDequeue(out var entry))
            {
                Interlocked.Decrement(ref _verifiedCount);
                var logged = false;
                if (_recent.TryGet(entry.Id, out var seq))
                {
                    raw.sqlite3_bind_int64(_setVerifiedRecent, 1, seq);
                    raw.sqlite3_bind_int64(_setVerifiedRecent, 2, entry.At);
                    Native.BindId(_setVerifiedRecent, 3, entry.Id);
                    Native.Run(_db, _setVerifiedRecent);
                    // No change: already newer, or the row was merged meanwhile or holds another id (then it is in shards).
                    logged = raw.sqlite3_changes(_db) > 0;
                }

                if (!logged)
                {
                    Native.BindId(_setVerified, 1, entry.Id);
                    raw.sqlite3_bind_int64(_setVerified, 2, entry.At);
                    Native.Run(_db, _setVerified);
                }
                n++;
            }

            CommitWithUsage();
        }
        catch (SqliteException)
        {
            // Last-verified times are advisory; a full disk must not stop the writer over them.
            Rollback();
        }
    }

    /// <summary>Stops accepting work, drains what is queued and joins the thread.</summary>
    public void Complete()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
        _stopping = true;
        _builder?.Join();
    }

    public void Dispose()
    {
        Complete();
        _checkpointer.Dispose();
        _holds.Dispose();
        foreach (var stmt in new[] { _begin, _commit, _rollback, _find, _touch, _insertData, _insertMeta, _deleteMeta, _deleteData, _setPinned, _setVerified, _expired, _quarantine, _usage, _findRecent, _touchRecent, _insertRecent, _deleteRecent, _setPinnedRecent, _setVerifiedRecent, _expiredWithRecent, _quarantineRecent, _mergeInsert, _mergeDelete, _mergeDeleteAll })
        {
            stmt.Dispose();
        }

        try
        {
            // Fold the WAL into the database so the file alone is complete and the WAL does not linger.
            Schema.Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        catch (SqliteException)
        {
            // A failed checkpoint loses nothing: the WAL is replayed at the next open.
        }

        _connection.Dispose();
    }
}
