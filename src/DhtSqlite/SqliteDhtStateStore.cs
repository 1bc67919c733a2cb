using System.Globalization;
using Microsoft.Data.Sqlite;
using Overlay.Crypto;

namespace Overlay.Dht.Persistence;

/// <summary>
/// DHT state in one SQLite file (<c>dht.db</c> in the node's data directory): contacts, value records,
/// provider records and bootstrap pins (<see cref="BootstrapPinTable"/>), in write-ahead-log mode and changed in place. Each <see cref="Apply"/> is one
/// transaction: a record is written when the node keeps it (<see cref="DhtStateJournal"/> batches those),
/// contacts only where they changed. With <c>synchronous=NORMAL</c> a committed transaction survives the
/// process being killed; with a full sync (<see cref="SqliteDhtStateStore(string, DhtOptions, int, DhtRowSeal?, bool)"/>)
/// each commit is also flushed to the disk, so it survives power loss.
/// <para>
/// Loading checks every row (ids, addresses, record encodings and keys), skips and deletes bad ones with
/// a typed <see cref="DhtStateProblem"/>, and drops and deletes rows that expired while the node was
/// stopped. Record and provider rows carry a seal (<see cref="DhtRowSeal"/>): a record whose seal
/// matches comes back <see cref="SavedRecord.Sealed"/>, and the node skips its signature check; any other
/// record is checked like one from the network. A provider row is kept only with a matching seal (or
/// from a file written before seals); one whose seal matches comes back <see cref="SavedProvider.Sealed"/>. A file SQLite cannot read, or a database
/// that is not this node's, is moved to <c>dht.db.corrupt</c> and a new one is started; what could be
/// read from a damaged file is returned unsealed, checked again, and written to the new one.
/// </para>
/// <para>
/// Schema 1 had no provider table, schema 2 no seals or record expiries, schema 3 no provider keys or
/// signatures; each is upgraded in place
/// when loaded, their rows unsealed until the node rewrites them.
/// </para>
/// </summary>
public sealed class SqliteDhtStateStore : IDhtStateStore
{
    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "dht.db";

    /// <summary>Written to <c>PRAGMA application_id</c>: "OVDH", so another database put in its place is recognised.</summary>
    public const int ApplicationId = 0x4F564448;

    /// <summary>
    /// Schema version written to <c>PRAGMA user_version</c>: 2 added the <c>providers</c> table, 3 the seals and record
    /// expiries, 4 the provider records' keys and signatures.
    /// </summary>
    public const int SchemaVersion = 4;

    /// <summary>Oldest schema version still read: 1, contacts and value records only.</summary>
    public const int OldestReadableSchemaVersion = 1;

    /// <summary>Longest address accepted from a row; no dialable address is longer.</summary>
    public const int MaxAddressLength = 512;

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS contacts (peer_id BLOB NOT NULL PRIMARY KEY, address TEXT NOT NULL, latency_ms REAL, last_seen_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS records (key BLOB NOT NULL PRIMARY KEY, local INTEGER NOT NULL, encoded BLOB NOT NULL, expires_ms INTEGER, seal BLOB);
        CREATE TABLE IF NOT EXISTS providers (key BLOB NOT NULL, provider BLOB NOT NULL, local INTEGER NOT NULL, expires_ms INTEGER NOT NULL, seal BLOB, public_key BLOB, signature BLOB, PRIMARY KEY (key, provider, local));
        """ + BootstrapPinTable.CreateSql;

    private readonly DhtOptions _options;
    private readonly int _maxContacts;
    private readonly DhtRowSeal? _seal;
    private readonly bool _fullSync;
    private SqliteConnection? _connection;
    private DhtStateWriter? _writer;

    /// <summary>Creates a store for the file at <paramref name="path"/>; nothing is opened until <see cref="Load"/> or <see cref="Apply"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="options">Record size limits applied when decoding saved records, and the record and provider count limits.</param>
    /// <param name="maxContacts">Most contacts read back (1 and up).</param>
    /// <param name="seal">Seals written rows and checks them at load; null seals nothing and trusts no row's seal. Not disposed by the store.</param>
    /// <param name="fullSync">Flush every commit to the disk (<c>synchronous=FULL</c>): survives power loss, not only a killed process.</param>
    public SqliteDhtStateStore(string path, DhtOptions options, int maxContacts, DhtRowSeal? seal = null, bool fullSync = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxContacts, 1);
        Path = System.IO.Path.GetFullPath(path);
        _options = options;
        _maxContacts = maxContacts;
        _seal = seal;
        _fullSync = fullSync;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Where a file SQLite could not read, or another database, is moved.</summary>
    public string CorruptPath => Path + ".corrupt";

    /// <inheritdoc/>
    public DhtStateLoadResult Load(DateTimeOffset now)
    {
        Close();
        var reader = new DhtStateReader(Path, _options, _maxContacts, _seal, now);
        var setAside = false;
        try
        {
            var existed = File.Exists(Path);
            _connection = Open(Path, create: !existed);
            var applicationId = Scalar(_connection, "PRAGMA application_id");
            var version = Scalar(_connection, "PRAGMA user_version");
            var empty = Scalar(_connection, "SELECT count(*) FROM sqlite_schema") == 0;
            if (empty && applicationId == 0)
            {
                Initialize(_connection, fromVersion: SchemaVersion);
                _writer = new DhtStateWriter(_connection, _seal);
                return reader.Result();
            }

            if (applicationId != ApplicationId || version is < OldestReadableSchemaVersion or > SchemaVersion)
            {
                reader.Problem(DhtStateError.UnknownFormat, string.Create(CultureInfo.InvariantCulture,
                    $"{Path} has application id {applicationId} and schema version {version}; this node reads application id {ApplicationId}, versions {OldestReadableSchemaVersion} to {SchemaVersion}; it was moved to {CorruptPath}."));
                setAside = true;
            }
            else
            {
                Initialize(_connection, (int)version);
                reader.ReadAll(_connection, sealsExpected: version >= 3);
                reader.Tidy(_connection);
                _writer = new DhtStateWriter(_connection, _seal);
                _writer.ContactsOnDisk(reader.Contacts);
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 11 or 26)
        {
            // SQLITE_CORRUPT, SQLITE_NOTADB: what was read before the damage is kept, unsealed, so the node
            // checks it again and writes it to the new file.
            reader.Problem(DhtStateError.FileCorrupt, $"{Path} is damaged ({e.Message.TrimEnd('.')}); it was moved to {CorruptPath}.");
            reader.Unseal();
            setAside = true;
        }
        catch (SqliteException e)
        {
            reader.Problem(DhtStateError.Io, $"{Path} cannot be read: {e.Message}");
            Close();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Problem(DhtStateError.Io, $"{Path} cannot be read: {e.Message}");
            Close();
        }

        if (setAside)
        {
            Close();
            SetAside(reader);
        }

        return reader.Result();
    }

    /// <inheritdoc/>
    public void Apply(IReadOnlyList<DhtStateChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        try
        {
            if (_writer is null)
            {
                // Not loaded, or the file was set aside or could not be opened then: start a new one.
                Close();
                var existed = File.Exists(Path);
                _connection = Open(Path, create: !existed);
                Initialize(_connection, existed ? (int)Scalar(_connection, "PRAGMA user_version") : SchemaVersion);
                _writer = new DhtStateWriter(_connection, _seal);
            }

            _writer.Apply(changes);
        }
        catch (SqliteException e)
        {
            var reason = e.SqliteErrorCode is 11 or 26 ? DhtStateError.FileCorrupt : DhtStateError.Io;
            throw new DhtStateException(reason, $"Saving DHT state to {Path} failed: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Close();
            throw new DhtStateException(DhtStateError.Io, $"Saving DHT state to {Path} failed: {e.Message}", e);
        }
    }

    /// <summary>Closes the file; the write-ahead log is folded into it. The store opens it again when used.</summary>
    public void Dispose() => Close();

    private void Close()
    {
        _writer?.Dispose();
        _writer = null;
        _connection?.Dispose();
        _connection = null;
    }

    // Tables of the current schema, and the columns older schemas lack; then the header. One transaction,
    // so a kill mid-upgrade leaves the old schema whole.
    private static void Initialize(SqliteConnection connection, int fromVersion)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, Tables, transaction);
        if (fromVersion < 3)
        {
            AddColumnIfMissing(connection, transaction, "records", "expires_ms INTEGER");
            AddColumnIfMissing(connection, transaction, "records", "seal BLOB");
            AddColumnIfMissing(connection, transaction, "providers", "seal BLOB");
        }

        if (fromVersion < 4)
        {
            AddColumnIfMissing(connection, transaction, "providers", "public_key BLOB");
            AddColumnIfMissing(connection, transaction, "providers", "signature BLOB");
        }

        Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};"), transaction);
        transaction.Commit();
    }

    private static void AddColumnIfMissing(SqliteConnection connection, SqliteTransaction transaction, string table, string column)
    {
        var name = column[..column.IndexOf(' ', StringComparison.Ordinal)];
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{name}'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column}", transaction);
        }
    }

    private SqliteConnection Open(string path, bool create)
    {
        if (create)
        {
            CreateOwnerOnly(path);
        }

        // No pooling: a file set aside must not stay open through a pooled handle.
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            // WAL: a commit appends to the log, and a killed process loses nothing committed (the OS holds
            // the written pages); NORMAL syncs only at checkpoints, FULL at every commit.
            Execute(connection, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {(_fullSync ? "FULL" : "NORMAL")};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // The saved table says whom this node talks to: readable by its owner only, like the key file.
    // SQLite takes an empty file as a new database, and creates its log and shared-memory files with
    // the database file's mode.
    private static void CreateOwnerOnly(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
    }

    private void SetAside(DhtStateReader reader)
    {
        try
        {
            // The log belongs to the damaged file: it goes with it, under the name SQLite looks for beside it.
            File.Move(Path, CorruptPath, overwrite: true);
            if (File.Exists(Path + "-wal"))
            {
                File.Move(Path + "-wal", CorruptPath + "-wal", overwrite: true);
            }

            File.Delete(Path + "-shm");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Problem(DhtStateError.Io, $"{Path} could not be moved aside: {e.Message}");
        }
    }

    internal static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : -1;
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
