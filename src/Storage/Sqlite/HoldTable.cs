using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The <c>holds</c> table (one row per shard and owner, with the hold's expiry and the shard's size) and
/// each owner's totals, on the writer's connection. The totals are summed from the rows at open, not
/// kept in a table of their own, so they cannot drift from the rows; afterwards they change with each
/// committed transaction, the open transaction's changes kept apart until it commits (a rolled-back
/// batch leaves them as they were).
/// </summary>
/// <remarks>
/// Only puts that name an owner touch the table: one B-tree insert per new hold, keyed by shard id so a
/// shard's delete finds its holds in one range. The node's own shards (no owner) still cost a put two appends.
/// </remarks>
internal sealed class HoldTable : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _find, _insert, _extend, _removeAll, _releaseExpired;

    // Committed totals per owner (any thread, under _gate) and the open transaction's changes (writer thread).
    private readonly object _gate = new();
    private readonly Dictionary<PeerId, OwnerUsage> _committed = [];
    private readonly Dictionary<PeerId, OwnerUsage> _pending = [];

    /// <summary>Releases expired holds, soonest first, found through the partial index of holds that expire.</summary>
    internal const string ReleaseExpiredSql = "DELETE FROM holds WHERE (id, owner) IN (SELECT id, owner FROM holds WHERE expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2) RETURNING owner, size";

    public HoldTable(SqliteConnection connection)
    {
        _db = connection.Handle!;
        _find = Native.Prepare(connection, "SELECT expires_at FROM holds WHERE id = ?1 AND owner = ?2");
        _insert = Native.Prepare(connection, "INSERT INTO holds(id, owner, size, expires_at) VALUES (?1, ?2, ?3, ?4)");
        _extend = Native.Prepare(connection, "UPDATE holds SET expires_at = ?3 WHERE id = ?1 AND owner = ?2");
        _removeAll = Native.Prepare(connection, "DELETE FROM holds WHERE id = ?1 RETURNING owner, size");
        _releaseExpired = Native.Prepare(connection, ReleaseExpiredSql);
        Load(connection);
    }

    /// <summary>The committed totals of <paramref name="owner"/>.</summary>
    public OwnerUsage Usage(in PeerId owner)
    {
        lock (_gate)
        {
            return _committed.GetValueOrDefault(owner);
        }
    }

    /// <summary>Writer thread: the owner's totals with the open transaction's changes.</summary>
    public OwnerUsage Current(in PeerId owner)
    {
        var committed = Usage(owner);
        var pending = _pending.GetValueOrDefault(owner);
        return new OwnerUsage(committed.ShardCount + pending.ShardCount, committed.UsedBytes + pending.UsedBytes);
    }

    /// <summary>Whether <paramref name="owner"/> holds <paramref name="id"/>, and until when (Unix milliseconds, null = never).</summary>
    public bool TryFind(in ShardId id, in PeerId owner, out long? expiresAt)
    {
        Bind(_find, id, owner);
        try
        {
            if (!Native.Step(_db, _find))
            {
                expiresAt = null;
                return false;
            }

            expiresAt = Native.ColumnNullableInt64(_find, 0);
            return true;
        }
        finally
        {
            raw.sqlite3_reset(_find);
        }
    }

    /// <summary>Adds a hold the owner does not have yet and charges the owner for it.</summary>
    public void Add(in ShardId id, in PeerId owner, long size, long? expiresAt)
    {
        Bind(_insert, id, owner);
        raw.sqlite3_bind_int64(_insert, 3, size);
        Native.BindNullableInt64(_insert, 4, expiresAt);
        Native.Run(_db, _insert);
        Change(owner, 1, size);
    }

    /// <summary>Sets an existing hold's expiry (the caller has merged it with the old one).</summary>
    public void SetExpiry(in ShardId id, in PeerId owner, long? expiresAt)
    {
        Bind(_extend, id, owner);
        Native.BindNullableInt64(_extend, 3, expiresAt);
        Native.Run(_db, _extend);
    }

    /// <summary>Removes every hold on a deleted shard and gives each owner its charge back.</summary>
    public void RemoveAll(in ShardId id)
    {
        Native.BindId(_removeAll, 1, id);
        TakeRemoved(_removeAll);
    }

    /// <summary>Releases up to <paramref name="limit"/> holds expired at <paramref name="nowUnixMilliseconds"/>; returns how many.</summary>
    public int ReleaseExpired(long nowUnixMilliseconds, int limit)
    {
        raw.sqlite3_bind_int64(_releaseExpired, 1, nowUnixMilliseconds);
        raw.sqlite3_bind_int(_releaseExpired, 2, limit);
        return TakeRemoved(_releaseExpired);
    }

    /// <summary>The open transaction committed: its changes join the totals.</summary>
    public void Committed()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var (owner, change) in _pending)
            {
                var total = _committed.GetValueOrDefault(owner);
                total = new OwnerUsage(total.ShardCount + change.ShardCount, total.UsedBytes + change.UsedBytes);
                if (total.ShardCount == 0)
                {
                    _committed.Remove(owner);
                }
                else
                {
                    _committed[owner] = total;
                }
            }
        }

        _pending.Clear();
    }

    /// <summary>The open transaction rolled back: its changes are forgotten.</summary>
    public void RolledBack() => _pending.Clear();

    // Steps a DELETE … RETURNING owner, size to its end, taking each removed hold off its owner's total.
    private int TakeRemoved(sqlite3_stmt statement)
    {
        var removed = 0;
        try
        {
            while (Native.Step(_db, statement))
            {
                Change(OwnerFrom(raw.sqlite3_column_blob(statement, 0)), -1, -raw.sqlite3_column_int64(statement, 1));
                removed++;
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }

        return removed;
    }

    private void Change(in PeerId owner, long shards, long bytes)
    {
        var pending = _pending.GetValueOrDefault(owner);
        _pending[owner] = new OwnerUsage(pending.ShardCount + shards, pending.UsedBytes + bytes);
    }

    private void Load(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT owner, count(*), sum(size) FROM holds GROUP BY owner";
        using var rows = command.ExecuteReader();
        while (rows.Read())
        {
            var owner = rows.GetValue(0) as byte[] ?? [];
            _committed[OwnerFrom(owner)] = new OwnerUsage(rows.GetInt64(1), rows.GetInt64(2));
        }
    }

    private static void Bind(sqlite3_stmt statement, in ShardId id, in PeerId owner)
    {
        Native.BindId(statement, 1, id);
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        owner.WriteTo(bytes);
        raw.sqlite3_bind_blob(statement, 2, bytes);
    }

    /// <summary>The owner an owner column holds; throws SQLITE_CORRUPT for one that is not 32 bytes (a damaged page).</summary>
    private static PeerId OwnerFrom(ReadOnlySpan<byte> bytes) =>
        bytes.Length == PeerId.Size
            ? PeerId.FromBytes(bytes)
            : throw new SqliteException($"A stored hold's owner is {bytes.Length} bytes instead of {PeerId.Size}.", Native.Corrupt);

    public void Dispose()
    {
        foreach (var statement in (ReadOnlySpan<sqlite3_stmt>)[_find, _insert, _extend, _removeAll, _releaseExpired])
        {
            statement.Dispose();
        }
    }
}
