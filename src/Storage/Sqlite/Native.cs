using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Thin checked wrappers over SQLitePCLRaw for the hot statements: prepared once per connection,
/// bound from spans and read as spans, so a point read or a small put allocates nothing managed.
/// Microsoft.Data.Sqlite still owns the connections, pragmas, migrations and blob streams.
/// </summary>
internal static class Native
{
    public const int Ok = 0;
    public const int Busy = 5;
    public const int Locked = 6;
    public const int ReadOnly = 8;
    public const int IoErr = 10;
    public const int Corrupt = 11;
    public const int Full = 13;
    public const int CantOpen = 14;
    public const int NotADb = 26;
    public const int Row = 100;
    public const int Done = 101;

    public static sqlite3_stmt Prepare(SqliteConnection connection, string sql)
    {
        var db = connection.Handle!;
        // PERSISTENT: these statements live as long as the connection.
        var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var stmt);
        Check(db, rc);
        return stmt;
    }

    public static void Check(sqlite3 db, int rc)
    {
        if (rc != Ok && rc != Row && rc != Done)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
        }
    }

    /// <summary>Steps a statement: true for a row, false when done; throws on error.</summary>
    public static bool Step(sqlite3 db, sqlite3_stmt stmt)
    {
        var rc = raw.sqlite3_step(stmt);
        if (rc == Row)
        {
            return true;
        }

        if (rc == Done)
        {
            return false;
        }

        // Resetting returns the same error; the message is taken first, before reset clears it.
        var message = raw.sqlite3_errmsg(db).utf8_to_string();
        var extended = raw.sqlite3_extended_errcode(db);
        raw.sqlite3_reset(stmt);
        throw new SqliteException(message, rc, extended);
    }

    /// <summary>Runs a statement that returns no rows, then resets it.</summary>
    public static void Run(sqlite3 db, sqlite3_stmt stmt)
    {
        try
        {
            while (Step(db, stmt))
            {
            }
        }
        finally
        {
            raw.sqlite3_reset(stmt);
        }
    }

    public static void BindId(sqlite3_stmt stmt, int index, in ShardId id)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        id.WriteTo(bytes);
        raw.sqlite3_bind_blob(stmt, index, bytes);
    }

    public static void BindNullableInt64(sqlite3_stmt stmt, int index, long? value)
    {
        if (value is { } v)
        {
            raw.sqlite3_bind_int64(stmt, index, v);
        }
        else
        {
            raw.sqlite3_bind_null(stmt, index);
        }
    }

    public static long? ColumnNullableInt64(sqlite3_stmt stmt, int index) =>
        raw.sqlite3_column_type(stmt, index) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(stmt, index);

    public static ShardId ColumnId(sqlite3_stmt stmt, int index) => IdFrom(raw.sqlite3_column_blob(stmt, index));

    /// <summary>The id an id column holds; throws SQLITE_CORRUPT for one that is not 32 bytes.</summary>
    public static ShardId IdFrom(ReadOnlySpan<byte> bytes)
    {
        // An id column that is not 32 bytes means the page holding it is damaged.
        if (!ShardId.TryFromBytes(bytes, out var id))
        {
            throw new SqliteException($"A stored shard id is {bytes.Length} bytes instead of {ShardId.Size}.", Corrupt);
        }

        return id;
    }
}
