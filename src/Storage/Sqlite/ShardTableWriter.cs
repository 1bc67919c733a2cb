using System.Buffers;
using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// What each write operation does to the tables, inside the writer's open transaction: puts (the
/// quota, the duplicate check, the log or index row and the payload), renewals, deletes, pins,
/// expiry sweeps and quarantines, on both the log of recent shards and the id index, with the
/// owners' holds. Writer thread only. Nothing here commits; <see cref="ShardWriter"/> does, per batch.
/// </summary>
internal sealed class ShardTableWriter : IDisposable
{
    // Payloads this small and in one segment are bound directly; larger ones are written through
    // incremental blob I/O segment by segment, so a multi-segment put is never joined in memory.
    private const int InlineWriteLimit = 64 * 1024;

    /// <summary>Expired, unpinned shards of both tables, soonest first; each part reads its table's partial expiry index.</summary>
    internal const string ExpiredWithRecentSql = "SELECT id, expires_at FROM shards WHERE pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 UNION ALL SELECT id, expires_at FROM recent_shards WHERE pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY 2 LIMIT ?2";

    private readonly SqliteConnection _connection;
    private readonly sqlite3 _db;
    private readonly string _path;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly WriteTransaction _transaction;
    private readonly RecentShardIndex _recent;
    private readonly IdIndexFilter _filter;

    private readonly sqlite3_stmt _find, _touch, _insertData, _insertMeta, _deleteMeta, _deleteData;
    private readonly sqlite3_stmt _setPinned, _expired, _quarantine;

    // The same operations on the log of recent shards, by log row.
    private readonly sqlite3_stmt _findRecent, _touchRecent, _insertRecent, _deleteRecent, _setPinnedRecent, _expiredWithRecent, _quarantineRecent;

    // A put's two appends, called through the raw statement; the id they bind, in place.
    private readonly StatementHandle _insertRecentHandle, _insertDataHandle;
    private readonly byte[] _idBuffer = StatementHandle.NewIdBuffer();

    // Owners' holds on shards and each owner's totals.
    private readonly HoldTable _holds;

    public ShardTableWriter(SqliteConnection connection, WriteTransaction transaction, RecentShardIndex recent, HoldTable holds, IdIndexFilter filter, string path, StorageOptions options, TimeProvider time)
    {
        _connection = connection;
        _db = connection.Handle!;
        _transaction = transaction;
        _recent = recent;
        _holds = holds;
        _filter = filter;
        _path = path;
        _options = options;
        _time = time;

        _find = Native.Prepare(connection, "SELECT expires_at, pinned FROM shards WHERE id = ?1");
        // A log row is found by its number, the id confirms it: the log index keeps only a prefix of each id.
        _findRecent = Native.Prepare(connection, "SELECT expires_at, pinned FROM recent_shards WHERE seq = ?1 AND id = ?2");
        _touchRecent = Native.Prepare(connection, "UPDATE recent_shards SET expires_at = ?2, pinned = ?3 WHERE seq = ?1");
        // An append at the end of a rowid table: the pages a batch dirties are the few last ones.
        _insertRecent = Native.Prepare(connection, "INSERT INTO recent_shards(seq, id, data_id, size, stored_at, expires_at, pinned, last_verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)");
        _deleteRecent = Native.Prepare(connection, "DELETE FROM recent_shards WHERE seq = ?1 AND id = ?2 RETURNING data_id, size");
        _setPinnedRecent = Native.Prepare(connection, "UPDATE recent_shards SET pinned = ?2 WHERE seq = ?1 AND id = ?3");
        _expiredWithRecent = Native.Prepare(connection, ExpiredWithRecentSql);
        _quarantineRecent = Native.Prepare(connection, "INSERT OR REPLACE INTO quarantine(id, size, stored_at, detected_at, reason) SELECT id, size, stored_at, ?2, ?3 FROM recent_shards WHERE seq = ?1 AND id = ?4");
        _touch = Native.Prepare(connection, "UPDATE shards SET expires_at = ?2, pinned = ?3 WHERE id = ?1");
        _insertMeta = Native.Prepare(connection, "INSERT INTO shards(id, data_id, size, stored_at, expires_at, pinned, last_verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)");
        _insertData = Native.Prepare(connection, "INSERT INTO shard_data(rowid, data) VALUES (?1, ?2)");
        _insertRecentHandle = new StatementHandle(_insertRecent);
        _insertDataHandle = new StatementHandle(_insertData);
        _deleteMeta = Native.Prepare(connection, "DELETE FROM shards WHERE id = ?1 RETURNING data_id, size");
        _deleteData = Native.Prepare(connection, "DELETE FROM shard_data WHERE rowid = ?1");
        _setPinned = Native.Prepare(connection, "UPDATE shards SET pinned = ?2 WHERE id = ?1");
        _expired = Native.Prepare(connection, "SELECT id FROM shards WHERE pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2");
        _quarantine = Native.Prepare(connection, "INSERT OR REPLACE INTO quarantine(id, size, stored_at, detected_at, reason) SELECT id, size, stored_at, ?2, ?3 FROM shards WHERE id = ?1");
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

    public StorageException QuotaError(long size)
    {
        var shardCount = _transaction.ShardCount;
        var usedBytes = _transaction.UsedBytes;
        return new(
            StorageErrorReason.QuotaExceeded,
            $"Storing a shard of {size} bytes in '{_path}' (charged {size + StorageUsage.ShardOverheadBytes}) would exceed the quota of {_options.CapacityBytes} bytes ({shardCount} shards, {usedBytes} payload bytes, {StorageUsage.Charge(shardCount, usedBytes)} charged); nothing was written.")
        { FilePath = _path };
    }

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
        if (_transaction.WouldExceed(size, _options.CapacityBytes))
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
        var dataId = _transaction.NextDataId;
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

        _transaction.UseDataId();
        InsertPayload(dataId, data);
        _transaction.Added(size);
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
        _recent.Add(id, dataId, RecentLogLoader.VerifiedMinute(now));
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
        _filter.Add(id);
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
        (_recent.TryGet(id, out var seq) && Touch(id, seq, options)) || (_filter.MayBeIndexed(id) && Touch(id, 0, options));

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
        _transaction.Removed(size);
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

    public void Dispose()
    {
        foreach (var stmt in new[] { _find, _touch, _insertData, _insertMeta, _deleteMeta, _deleteData, _setPinned, _expired, _quarantine, _findRecent, _touchRecent, _insertRecent, _deleteRecent, _setPinnedRecent, _expiredWithRecent, _quarantineRecent })
        {
            stmt.Dispose();
        }
    }
}
