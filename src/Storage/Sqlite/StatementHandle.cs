using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// A prepared statement on the per-shard path (a point read, a put), called through the raw
/// <c>sqlite3_stmt*</c> instead of SQLitePCLRaw's safe handle. A point read makes about ten such calls;
/// through the safe handle each one took a reference count in and out (3–4 % of a read's CPU). The
/// <see cref="sqlite3_stmt"/> it came from still owns the statement: it must outlive every call here,
/// which holds because both belong to one connection and are disposed with it.
/// </summary>
internal readonly unsafe partial struct StatementHandle
{
    // The library SQLitePCLRaw's bundle ships and loads; the same instance, so the same connections.
    private const string Library = "e_sqlite3";

    // SQLITE_STATIC: SQLite uses the bound bytes in place, so they must stay valid until the
    // statement is stepped and reset; every caller binds, steps and resets within one scope.
    private static readonly IntPtr Static = IntPtr.Zero;

    private readonly IntPtr _stmt;

    public StatementHandle(sqlite3_stmt statement)
    {
        _stmt = statement.DangerousGetHandle();
    }

    /// <summary>Whether both handles call the same statement.</summary>
    public bool Is(StatementHandle other) => _stmt == other._stmt;

    /// <summary>Steps once: true for a row, false when done; throws (after taking the message) on an error.</summary>
    public bool Step(sqlite3 db)
    {
        var rc = sqlite3_step(_stmt);
        if (rc == Native.Row)
        {
            return true;
        }

        if (rc == Native.Done)
        {
            return false;
        }

        var message = raw.sqlite3_errmsg(db).utf8_to_string();
        var extended = raw.sqlite3_extended_errcode(db);
        _ = sqlite3_reset(_stmt);
        throw new SqliteException(message, rc, extended);
    }

    /// <summary>Steps until done, then resets.</summary>
    public void Run(sqlite3 db)
    {
        try
        {
            while (Step(db))
            {
            }
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Ends the statement's run (and, for the last active one, its read transaction). Bindings stay.</summary>
    // Reset repeats the error of the last step, which that step already reported.
    public void Reset() => _ = sqlite3_reset(_stmt);

    public void BindInt64(int index, long value) => Check(sqlite3_bind_int64(_stmt, index, value));

    public void BindNullableInt64(int index, long? value) =>
        Check(value is { } v ? sqlite3_bind_int64(_stmt, index, v) : sqlite3_bind_null(_stmt, index));

    /// <summary>A buffer for <see cref="BindId"/>: on the pinned object heap, so SQLite can read it in place.</summary>
    public static byte[] NewIdBuffer() => GC.AllocateArray<byte>(ShardId.Size, pinned: true);

    /// <summary>
    /// Binds <paramref name="id"/> through <paramref name="buffer"/> (from <see cref="NewIdBuffer"/>)
    /// without a copy inside SQLite: the buffer must not be written again until this statement was
    /// stepped and reset.
    /// </summary>
    public void BindId(int index, in ShardId id, byte[] buffer)
    {
        id.WriteTo(buffer);
        fixed (byte* bytes = buffer)
        {
            Check(sqlite3_bind_blob(_stmt, index, bytes, ShardId.Size, Static));
        }
    }

    /// <summary>
    /// Binds <paramref name="bytes"/> in place, pinned while the statement runs, then runs and resets it
    /// and unbinds them, so the statement never keeps a pointer to memory that is no longer pinned.
    /// </summary>
    public void RunWithBlob(sqlite3 db, int index, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* pinned = bytes)
        {
            try
            {
                // A null pointer would bind NULL instead of an empty blob.
                Check(sqlite3_bind_blob(_stmt, index, bytes.IsEmpty ? (byte*)1 : pinned, bytes.Length, Static));
                Run(db);
            }
            finally
            {
                _ = sqlite3_bind_null(_stmt, index);
            }
        }
    }

    public int ColumnType(int index) => sqlite3_column_type(_stmt, index);

    public long ColumnInt64(int index) => sqlite3_column_int64(_stmt, index);

    public int ColumnInt(int index) => sqlite3_column_int(_stmt, index);

    /// <summary>The column's bytes, valid until the next step, reset or column call on this statement.</summary>
    public ReadOnlySpan<byte> ColumnBlob(int index)
    {
        var bytes = sqlite3_column_blob(_stmt, index);
        var length = sqlite3_column_bytes(_stmt, index);
        return bytes is null ? [] : new ReadOnlySpan<byte>(bytes, length);
    }

    private static void Check(int rc)
    {
        if (rc != Native.Ok)
        {
            // A bind fails only on a wrong index or an out-of-memory: a programming error or a dying process.
            throw new SqliteException($"Binding a statement parameter failed (SQLite error {rc}).", rc);
        }
    }

    // Stepping and resetting may read or write pages (I/O), so they keep the GC transition. Binding and
    // column access only touch the statement's own memory under its uncontended connection mutex.
    [LibraryImport(Library)]
    private static partial int sqlite3_step(IntPtr stmt);

    [LibraryImport(Library)]
    private static partial int sqlite3_reset(IntPtr stmt);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_bind_int64(IntPtr stmt, int index, long value);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_bind_null(IntPtr stmt, int index);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_bind_blob(IntPtr stmt, int index, byte* value, int length, IntPtr destructor);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_column_type(IntPtr stmt, int index);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial long sqlite3_column_int64(IntPtr stmt, int index);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_column_int(IntPtr stmt, int index);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial byte* sqlite3_column_blob(IntPtr stmt, int index);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_column_bytes(IntPtr stmt, int index);
}
