using Microsoft.Data.Sqlite;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Lists shard metadata in id order, a page at a time, across the id index and the log. The log has
/// no index on id (every put would then pay for a B-tree insert, the cost the log exists to avoid),
/// so its part comes from a copy of the log's in-memory index (id prefixes, unique in the log and
/// ordered as the ids are), sorted once when the listing starts: each page looks its candidates up by log row, in the same read transaction as the id index's part,
/// so a shard merged meanwhile is listed from exactly one of the two. Scanning the log for every page
/// instead cost the square of its size (a million logged shards: two thousand scans of a million rows).
/// </summary>
/// <remarks>
/// A shard put while the listing runs is listed only if a merge moved it into the id index before its
/// page was read; one deleted meanwhile is left out once its page is read after the delete.
/// </remarks>
internal sealed class ShardPageCursor
{
    private const string Columns = "id, size, stored_at, expires_at, pinned, last_verified, data_id";

    // The log's entries when the listing started, by id prefix; _next is the first one whose prefix is
    // not below the last page's last id (one with that same prefix may still come after it).
    private readonly KeyValuePair<IdPrefix, long>[] _logged;
    private int _next;
    private ShardId? _after;

    public ShardPageCursor(RecentShardIndex recent)
    {
        _logged = recent.Count == 0 ? [] : recent.Snapshot();
        Array.Sort(_logged, static (a, b) => a.Key.CompareTo(b.Key));
    }

    /// <summary>Replaces <paramref name="page"/> with the next (at most <paramref name="pageSize"/>) shards; fewer means the listing is done.</summary>
    public void ReadNext(SqliteConnection connection, int pageSize, List<(ShardInfo Info, long DataId)> page)
    {
        page.Clear();
        int indexRows;
        using (var transaction = connection.BeginTransaction(deferred: true))
        {
            ReadIndexPart(connection, transaction, pageSize, page);
            indexRows = page.Count;
            ReadLogPart(connection, transaction, pageSize, page);
            transaction.Commit();
        }

        if (page.Count == 0)
        {
            return;
        }

        // Each part is in id order already; only a page holding both needs sorting and cutting.
        if (page.Count > indexRows && indexRows > 0)
        {
            page.Sort(static (a, b) => a.Info.Id.CompareTo(b.Info.Id));
            if (page.Count > pageSize)
            {
                page.RemoveRange(pageSize, page.Count - pageSize);
            }
        }

        _after = page[^1].Info.Id;
        var last = IdPrefix.Of(_after.Value);
        while (_next < _logged.Length && _logged[_next].Key < last)
        {
            _next++;
        }
    }

    private void ReadIndexPart(SqliteConnection connection, SqliteTransaction transaction, int pageSize, List<(ShardInfo Info, long DataId)> page)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _after is null
            ? $"SELECT {Columns} FROM shards ORDER BY id LIMIT $n"
            : $"SELECT {Columns} FROM shards WHERE id > $after ORDER BY id LIMIT $n";
        command.Parameters.AddWithValue("$n", pageSize);
        if (_after is { } after)
        {
            command.Parameters.AddWithValue("$after", after.ToArray());
        }

        using var rows = command.ExecuteReader();
        while (rows.Read())
        {
            page.Add(ReadRow(rows));
        }
    }

    private void ReadLogPart(SqliteConnection connection, SqliteTransaction transaction, int pageSize, List<(ShardInfo Info, long DataId)> page)
    {
        if (_next == _logged.Length)
        {
            return;
        }

        var fromIndex = page.Count;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // A log row number is never given to another shard: the row there, if any, is the entry's.
        command.CommandText = $"SELECT {Columns} FROM recent_shards WHERE seq = $seq";
        var seq = command.Parameters.Add("$seq", SqliteType.Integer);
        command.Prepare();
        var found = 0;
        for (var i = _next; i < _logged.Length && found < pageSize; i++)
        {
            // Once the index part fills a page, a logged shard past its end belongs to a later page.
            if (fromIndex == pageSize && _logged[i].Key > IdPrefix.Of(page[fromIndex - 1].Info.Id))
            {
                break;
            }

            seq.Value = _logged[i].Value;
            using var rows = command.ExecuteReader();
            // No row: deleted, replaced or merged since the listing started (then it is in the index part).
            if (!rows.Read())
            {
                continue;
            }

            var entry = ReadRow(rows);
            // Listed already: the last page ended with an id of this prefix, at or after this one.
            if (_after is { } after && entry.Info.Id <= after)
            {
                continue;
            }

            page.Add(entry);
            found++;
        }
    }

    private static (ShardInfo Info, long DataId) ReadRow(SqliteDataReader rows)
    {
        if (rows.GetValue(0) is not byte[] bytes || !ShardId.TryFromBytes(bytes, out var id))
        {
            throw new SqliteException("A stored shard id has the wrong length.", Native.Corrupt);
        }

        return (new ShardInfo(
            id,
            rows.GetInt32(1),
            DateTimeOffset.FromUnixTimeMilliseconds(rows.GetInt64(2)),
            rows.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(rows.GetInt64(3)),
            rows.GetInt64(4) != 0,
            rows.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(rows.GetInt64(5))), rows.GetInt64(6));
    }
}
