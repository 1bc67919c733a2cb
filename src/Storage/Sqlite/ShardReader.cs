using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// One pooled read connection with its prepared statements. Used by one thread at a time (the
/// pool hands it out). Reads never write: verification results go to the bookkeeping queue.
/// </summary>
internal sealed class ShardReader : IDisposable
{
    // Payloads up to this size are read with one column fetch; larger ones through incremental
    // blob I/O straight into the destination, so SQLite never holds a second copy of them.
    public const int InlineReadLimit = 64 * 1024;

    private const int BlobChunk = 64 * 1024;

    private readonly SqliteConnection _connection;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _meta;
    private readonly sqlite3_stmt _data;
    private readonly sqlite3_stmt _info;
    private readonly sqlite3_stmt _exists;
    private readonly Blake3Hasher _hasher = Blake3Hasher.Create();

    // The id a look-up binds, in place (the statements are reset before the next look-up writes it again).
    private readonly byte[] _idBuffer = StatementHandle.NewIdBuffer();

    // Look-ups of logged shards, by log row (an index entry is only a hint: the row may be uncommitted
    // or already merged, see RecentShardIndex).
    private readonly sqlite3_stmt _logPayload, _recentMeta, _recentInfo, _recentExists;
    private readonly RecentShardIndex _recent;

    // The statement of the current BeginRead (_meta, or _logPayload for a logged shard).
    private StatementHandle _active;
    private readonly StatementHandle _metaHandle, _logPayloadHandle, _recentMetaHandle, _dataHandle;

    // Column of _active holding a small payload; set by BeginRead.
    private int _payloadColumn;

    public ShardReader(SqliteConnection connection, RecentShardIndex recent)
    {
        _connection = connection;
        _recent = recent;
        _db = connection.Handle!;
        // One statement finds the shard and, when it is small, its payload too (the CASE keeps SQLite
        // from loading a large payload into memory; those are read through blob I/O instead). LEFT
        // JOIN: a metadata row whose payload row is missing is reported as unreadable, not as absent.
        _meta = Native.Prepare(connection, $"SELECT s.data_id, s.size, s.last_verified, CASE WHEN s.size <= {InlineReadLimit} THEN d.data END FROM shards s LEFT JOIN shard_data d ON d.rowid = s.data_id WHERE s.id = ?1");
        _data = Native.Prepare(connection, "SELECT data FROM shard_data WHERE rowid = ?1");
        _exists = Native.Prepare(connection, "SELECT 1 FROM shards WHERE id = ?1");
        _info = Native.Prepare(connection, "SELECT size, stored_at, expires_at, pinned, last_verified FROM shards WHERE id = ?1");
        // A logged shard's payload row has its log row's number: the log index leads straight to it.
        // length() reads only the record header, so a large payload is not loaded here either.
        _logPayload = Native.Prepare(connection, $"SELECT length(data), CASE WHEN length(data) <= {InlineReadLimit} THEN data END FROM shard_data WHERE rowid = ?1");
        // When the payload row is not there: the log row and its payload in one statement, so one
        // snapshot decides between "not committed yet", "merged meanwhile" and "payload row lost".
        _recentMeta = Native.Prepare(connection, $"SELECT s.data_id, s.size, s.last_verified, CASE WHEN s.size <= {InlineReadLimit} THEN d.data END FROM recent_shards s LEFT JOIN shard_data d ON d.rowid = s.data_id WHERE s.seq = ?2 AND s.id = ?1");
        _recentExists = Native.Prepare(connection, "SELECT 1 FROM recent_shards WHERE seq = ?2 AND id = ?1");
        _recentInfo = Native.Prepare(connection, "SELECT size, stored_at, expires_at, pinned, last_verified FROM recent_shards WHERE seq = ?2 AND id = ?1");
        _metaHandle = new StatementHandle(_meta);
        _logPayloadHandle = new StatementHandle(_logPayload);
        _recentMetaHandle = new StatementHandle(_recentMeta);
        _dataHandle = new StatementHandle(_data);
        _active = _metaHandle;
    }

    public SqliteConnection Connection => _connection;

    /// <summary>Benchmarks only: measures the read path without the hash, to show what verification costs.</summary>
    internal bool SkipVerification { get; set; }

    /// <summary>
    /// Looks a shard up. When found, the lookup statement stays active until <see cref="EndRead"/>, so
    /// the payload read that follows belongs to the same read transaction: a concurrent delete and
    /// rowid reuse cannot swap the payload under it. Always pair with <see cref="EndRead"/>.
    /// </summary>
    /// <param name="id">The shard.</param>
    /// <param name="dataId">Row of its payload.</param>
    /// <param name="size">Payload length.</param>
    /// <param name="lastVerified">Last recorded verification, Unix milliseconds (0 if never).</param>
    /// <param name="consultLog">False to skip the log: its entry for this id's prefix turned out to be another shard's.</param>
    public bool BeginRead(in ShardId id, out long dataId, out int size, out long lastVerified, bool consultLog = true)
    {
        if (consultLog && _recent.TryGet(id, out var seq, out var verifiedMinute))
        {
            // The payload row alone, found by the log row's number. The log index keeps only a
            // prefix of each id, so this is a candidate until its bytes hash to the id (ReadVerified).
            _logPayloadHandle.BindInt64(1, seq);
            if (_logPayloadHandle.Step(_db))
            {
                _active = _logPayloadHandle;
                _payloadColumn = 1;
                dataId = seq;
                size = _logPayloadHandle.ColumnInt(0);
                lastVerified = verifiedMinute * 60_000L;
                _payloadInRow = size <= InlineReadLimit;
                return true;
            }

            // Not there: not committed yet, deleted, or lost from a damaged file. Those are told apart
            // by the log row and its payload read together: separate look-ups could see a put commit
            // in between and take its log row for one whose payload is missing.
            _logPayloadHandle.Reset();
            if (Lookup(_recentMetaHandle, id, seq))
            {
                return Found(_recentMetaHandle, out dataId, out size, out lastVerified);
            }

            // Not committed, deleted, or merged meanwhile: then the id index row is visible now.
            _recentMetaHandle.Reset();
        }

        if (Lookup(_metaHandle, id, 0))
        {
            return Found(_metaHandle, out dataId, out size, out lastVerified);
        }

        _active = _metaHandle;
        dataId = 0;
        size = 0;
        lastVerified = 0;
        return false;
    }

    // A metadata row joined to its payload (columns data_id, size, last_verified, small payload or NULL).
    private bool Found(StatementHandle statement, out long dataId, out int size, out long lastVerified)
    {
        _active = statement;
        _payloadColumn = 3;
        dataId = statement.ColumnInt64(0);
        size = statement.ColumnInt(1);
        lastVerified = statement.ColumnInt64(2);
        _payloadInRow = size <= InlineReadLimit;
        return true;
    }

    /// <summary>Binds the id (and, for a log statement, the log row) and steps once; true for a row.</summary>
    private bool Lookup(StatementHandle stmt, in ShardId id, long seq)
    {
        stmt.BindId(1, id, _idBuffer);
        if (seq != 0)
        {
            stmt.BindInt64(2, seq);
        }

        return stmt.Step(_db);
    }

    public void EndRead()
    {
        _payloadInRow = false;
        _active.Reset();
        _active = _metaHandle;
    }

    // True between a BeginRead that found a small shard and EndRead: its payload is column _payloadColumn of _active.
    private bool _payloadInRow;

    /// <summary>
    /// Fills <paramref name="destination"/> (exactly the shard size) and checks the hash. The
    /// destination is cleared again when the check fails, so bad bytes never leave the store.
    /// Sets <c>unreadable</c> when SQLite could not deliver the bytes at all (as opposed to bytes that hash wrong).
    /// Returns <see cref="ShardReadStatus.NotFound"/> when the log index led to another shard whose id
    /// has the same prefix: read again with <c>consultLog: false</c>.
    /// </summary>
    public ShardReadStatus ReadVerified(in ShardId id, long dataId, Span<byte> destination, out bool unreadable)
    {
        unreadable = !ReadPayload(dataId, destination);
        if (!unreadable && (SkipVerification || Verify(id, destination)))
        {
            return ShardReadStatus.Found;
        }

        destination.Clear();
        // Only now, on a mismatch, is the log row's id worth a look-up when the log index led here:
        // damage to this shard, or another one's bytes (anyone may ask for an id that shares a
        // stored shard's prefix)?
        if (_active.Is(_logPayloadHandle) && !Contains(_recentExists, id, dataId))
        {
            unreadable = false;
            return ShardReadStatus.NotFound;
        }

        return ShardReadStatus.Corrupted;
    }


    public bool Contains(in ShardId id) =>
        (_recent.TryGet(id, out var seq) && Contains(_recentExists, id, seq)) || Contains(_exists, id, 0);

    private bool Contains(sqlite3_stmt stmt, in ShardId id, long seq)
    {
        var handle = new StatementHandle(stmt);
        try
        {
            return Lookup(handle, id, seq);
        }
        finally
        {
            handle.Reset();
        }
    }

    public bool TryGetInfo(in ShardId id, out ShardInfo info)
    {
        if (_recent.TryGet(id, out var seq) && TryGetInfo(_recentInfo, id, seq, out info))
        {
            return true;
        }

        return TryGetInfo(_info, id, 0, out info);
    }

    private bool TryGetInfo(sqlite3_stmt stmt, in ShardId id, long seq, out ShardInfo info)
    {
        try
        {
            if (!Lookup(new StatementHandle(stmt), id, seq))
            {
                info = default;
                return false;
            }

            info = new ShardInfo(
                id,
                raw.sqlite3_column_int(stmt, 0),
                DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(stmt, 1)),
                ToTime(Native.ColumnNullableInt64(stmt, 2)),
                raw.sqlite3_column_int(stmt, 3) != 0,
                ToTime(Native.ColumnNullableInt64(stmt, 4)));
            return true;
        }
        finally
        {
            raw.sqlite3_reset(stmt);
        }
    }

    internal static DateTimeOffset? ToTime(long? unixMilliseconds) =>
        unixMilliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>False when SQLite cannot deliver the payload (damaged page, missing row, wrong length).</summary>
    private bool ReadPayload(long dataId, Span<byte> destination)
    {
        try
        {
            if (_payloadInRow)
            {
                // NULL: the payload row is missing.
                if (_active.ColumnType(_payloadColumn) != raw.SQLITE_BLOB)
                {
                    return false;
                }

                var inRow = _active.ColumnBlob(_payloadColumn);
                if (inRow.Length != destination.Length)
                {
                    return false;
                }

                inRow.CopyTo(destination);
                return true;
            }

            if (destination.Length <= InlineReadLimit)
            {
                _dataHandle.BindInt64(1, dataId);
                try
                {
                    if (!_dataHandle.Step(_db))
                    {
                        return false;
                    }

                    var bytes = _dataHandle.ColumnBlob(0);
                    if (bytes.Length != destination.Length)
                    {
                        return false;
                    }

                    bytes.CopyTo(destination);
                    return true;
                }
                finally
                {
                    _dataHandle.Reset();
                }
            }

            using var blob = new SqliteBlob(_connection, "shard_data", "data", dataId, readOnly: true);
            if (blob.Length != destination.Length)
            {
                return false;
            }

            var offset = 0;
            while (offset < destination.Length)
            {
                var read = blob.Read(destination.Slice(offset, Math.Min(BlobChunk, destination.Length - offset)));
                if (read <= 0)
                {
                    return false;
                }

                offset += read;
            }

            return true;
        }
        catch (SqliteException e) when (Errors.IsCorruption(e) || (e.SqliteErrorCode & 0xFF) == 1)
        {
            // SQLITE_CORRUPT from a damaged page, or SQLITE_ERROR from blob_open when the payload row
            // is gone: either way the stored shard cannot be served.
            return false;
        }
    }

    private bool Verify(in ShardId id, ReadOnlySpan<byte> bytes)
    {
        // The connection's own hasher, reset per read.
        Span<byte> digest = stackalloc byte[ShardId.Size];
        _hasher.Reset();
        _hasher.Update(bytes);
        _hasher.Finalize(digest);

        return ShardId.TryFromBytes(digest, out var actual) && actual == id;
    }

    public void Dispose()
    {
        _meta.Dispose();
        _data.Dispose();
        _info.Dispose();
        _exists.Dispose();
        _logPayload.Dispose();
        _recentMeta.Dispose();
        _recentInfo.Dispose();
        _recentExists.Dispose();
        _connection.Dispose();
    }
}
