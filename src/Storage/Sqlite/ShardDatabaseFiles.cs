using Microsoft.Data.Sqlite;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The store's files on disk: an owner-only directory and database, the lock file that keeps every
/// other store out, and the connections opened on the database with the store's pragmas. Only
/// opening lives here; what the connections do is the reader's and the writer's.
/// </summary>
internal static class ShardDatabaseFiles
{
    /// <summary>Creates the store's directory (owner-only when this creates it: the shards are the node's and its peers' data, not the host's).</summary>
    public static void CreateDirectory(string directory, string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new StorageException(StorageErrorReason.CannotOpen, $"The shard store directory '{directory}' cannot be created: {e.Message}", e) { FilePath = path };
        }
    }

    /// <summary>
    /// Takes the lock file beside the database. It keeps a second process (or a second store in this
    /// one) from opening the same database: the in-memory capacity accounting assumes a single writer.
    /// </summary>
    public static FileStream Lock(string directory, string path)
    {
        try
        {
            return new FileStream(path + ".lock", OwnerOnly(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException(StorageErrorReason.ReadOnly, $"The shard store directory '{directory}' cannot be written (lock file '{path}.lock').", e) { FilePath = path };
        }
        catch (IOException e)
        {
            throw new StorageException(StorageErrorReason.Locked, $"The shard store '{path}' is already open in another process or store.", e) { FilePath = path };
        }
    }

    /// <summary>Options that create a missing file with mode 0600 (an existing file keeps its mode).</summary>
    private static FileStreamOptions OwnerOnly(FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    /// <summary>
    /// SQLite creates a missing file 0644 and gives its -wal and -shm files the database's mode: an
    /// empty file made owner-only first is taken as a new database and keeps all three private.
    /// </summary>
    public static void CreateOwnerOnlyIfMissing(string path)
    {
        try
        {
            using var file = new FileStream(path, OwnerOnly(FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // It exists (and keeps its mode), or cannot be made: opening it reports why.
        }
    }

    /// <summary>A read-only connection for one background scan (the writer's id filter).</summary>
    public static SqliteConnection OpenScanConnection(string path, StorageOptions options)
    {
        var connection = OpenConnection(path, options, SqliteOpenMode.ReadWrite);
        try
        {
            Schema.Execute(connection, "PRAGMA query_only = 1");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens a connection with the store's pragmas and checks that the file is a database.</summary>
    public static SqliteConnection OpenConnection(string path, StorageOptions options, SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabaseUri(path),
            Mode = mode,
            // The store keeps its own connections for its whole life; pooling would only keep the
            // file open after disposal.
            Pooling = false,
            DefaultTimeout = 5,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            var synchronous = options.Durability == StorageDurability.Full ? "FULL" : "NORMAL";
            Schema.Execute(connection, $"PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{options.CacheKibibytes}; PRAGMA mmap_size = {options.MmapBytes};");
            // Touch the header now, so a file that is not a database fails at open, not at the first read.
            Schema.Scalar(connection, "PRAGMA schema_version");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The database as an SQLite URI. On Unix it names the "unix-excl" VFS: the lock file already
    /// keeps every other process out, so the WAL index can live in this process's heap instead of a
    /// shared-memory file, and starting a read or write transaction no longer takes <c>fcntl</c>
    /// locks on it (a large part of a point read's cost, and the lock two reading threads
    /// contended on). Other connections of this process still share the file normally.
    /// </summary>
    public static string DatabaseUri(string path)
    {
        var uri = "file:" + Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal);
        return OperatingSystem.IsWindows() ? uri : uri + "?vfs=unix-excl";
    }
}
