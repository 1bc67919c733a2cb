using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// At open, before the writer starts: fills the in-memory log index from <c>recent_shards</c> and
/// finds the first payload row number that was never given out.
/// </summary>
internal static class RecentLogLoader
{
    /// <summary>
    /// Loads the log and returns the next free payload row number: past every number ever given out
    /// (kept with the totals), every payload row and every log row. A row lost from a damaged file is
    /// still named by its metadata, and must not name a new shard too.
    /// </summary>
    public static long Load(SqliteConnection connection, RecentShardIndex recent) =>
        Math.Max(
            Math.Max(Schema.Scalar(connection, "SELECT next_data_id FROM usage WHERE id = 0"), Schema.Scalar(connection, "SELECT coalesce(max(rowid), 0) + 1 FROM shard_data")),
            LoadRecent(connection, recent));

    /// <summary>The Unix minute of a time in Unix milliseconds, as the log index keeps verification times.</summary>
    public static int VerifiedMinute(long unixMilliseconds) => (int)Math.Clamp(unixMilliseconds / 60_000, 0, int.MaxValue);

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
}
