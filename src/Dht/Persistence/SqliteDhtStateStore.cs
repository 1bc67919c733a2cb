using System.Globalization;
using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Transport;

namespace Overlay.Dht.Persistence;

/// <summary>
/// DHT state in one SQLite file (<c>dht.db</c> in the node's data directory): contacts, value records,
/// provider records and bootstrap pins (<see cref="BootstrapPinTable"/>). The file is small and rewritten whole at every save: a fresh database is written beside it and renamed over it, so a crash
/// mid-save leaves the previous state, and a damaged file is replaced by the next save instead of being
/// patched. Loading checks every row (ids, addresses, record encodings and keys) and skips bad ones with
/// a typed <see cref="DhtStateProblem"/>; a file SQLite cannot read is renamed to <c>dht.db.corrupt</c>
/// for inspection. Record signatures and provider expiries are checked by the node when it takes the
/// records back (<see cref="DhtNode.RestoreRecord"/>, <see cref="DhtNode.RestoreProvider"/>), by the same
/// validator as records from the network. Files of schema 1 (no provider table) still load; the next
/// save writes the current schema, which is the whole migration since every save rewrites the file.
/// </summary>
public sealed class SqliteDhtStateStore : IDhtStateStore
{
    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "dht.db";

    /// <summary>Written to <c>PRAGMA application_id</c>: "OVDH", so another database put in its place is recognised.</summary>
    public const int ApplicationId = 0x4F564448;

    /// <summary>Schema version written to <c>PRAGMA user_version</c>: 2 added the <c>providers</c> table.</summary>
    public const int SchemaVersion = 2;

    /// <summary>Oldest schema version still read: 1, contacts and value records only.</summary>
    public const int OldestReadableSchemaVersion = 1;

    /// <summary>Longest address accepted from a row; no dialable address is longer.</summary>
    public const int MaxAddressLength = 512;

    private readonly DhtOptions _options;
    private readonly int _maxContacts;

    /// <summary>Creates a store for the file at <paramref name="path"/>; nothing is opened until <see cref="Load"/> or <see cref="Save"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="options">Record size limits applied when decoding saved records, and the record and provider count limits.</param>
    /// <param name="maxContacts">Most contacts read back (1 and up).</param>
    public SqliteDhtStateStore(string path, DhtOptions options, int maxContacts)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxContacts, 1);
        Path = System.IO.Path.GetFullPath(path);
        _options = options;
        _maxContacts = maxContacts;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Where a file SQLite could not read is moved.</summary>
    public string CorruptPath => Path + ".corrupt";

    /// <inheritdoc/>
    public DhtStateLoadResult Load(DateTimeOffset now)
    {
        if (!File.Exists(Path))
        {
            return new DhtStateLoadResult(DhtSnapshot.Empty, [], 0);
        }

        var problems = new List<DhtStateProblem>();
        var contacts = new List<ContactSnapshot>();
        var records = new List<SavedRecord>();
        var providers = new List<SavedProvider>();
        var pins = new List<BootstrapPin>();
        var expired = 0;
        var expiredProviders = 0;
        var corrupt = false;
        try
        {
            using var connection = Open(Path, SqliteOpenMode.ReadOnly);
            var applicationId = Scalar(connection, "PRAGMA application_id");
            var version = Scalar(connection, "PRAGMA user_version");
            if (applicationId != ApplicationId || version is < OldestReadableSchemaVersion or > SchemaVersion)
            {
                problems.Add(new DhtStateProblem(DhtStateError.UnknownFormat, string.Create(CultureInfo.InvariantCulture,
                    $"{Path} has application id {applicationId} and schema version {version}; this node reads application id {ApplicationId}, versions {OldestReadableSchemaVersion} to {SchemaVersion}.")));
                return new DhtStateLoadResult(DhtSnapshot.Empty, problems, 0);
            }

            ReadContacts(connection, contacts, problems);
            expired = ReadRecords(connection, now, records, problems);
            if (version >= 2)
            {
                expiredProviders = ReadProviders(connection, now, providers, problems);
            }

            BootstrapPinTable.Read(connection, Path, pins, problems);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 11 or 26)
        {
            // SQLITE_CORRUPT, SQLITE_NOTADB: what was read before the damage is kept.
            problems.Add(new DhtStateProblem(DhtStateError.FileCorrupt, $"{Path} is damaged ({e.Message.TrimEnd('.')}); it was moved to {CorruptPath}."));
            corrupt = true;
        }
        catch (SqliteException e)
        {
            problems.Add(new DhtStateProblem(DhtStateError.Io, $"{Path} cannot be read: {e.Message}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new DhtStateProblem(DhtStateError.Io, $"{Path} cannot be read: {e.Message}"));
        }

        if (corrupt)
        {
            SetAside(problems);
        }

        return new DhtStateLoadResult(new DhtSnapshot(contacts, records, providers) { BootstrapPins = pins }, problems, expired, expiredProviders);
    }

    /// <inheritdoc/>
    public void Save(DhtSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var temporary = Path + ".tmp";
        try
        {
            File.Delete(temporary);
            CreateOwnerOnly(temporary);
            using (var connection = Open(temporary, SqliteOpenMode.ReadWriteCreate))
            {
                Execute(connection, string.Create(CultureInfo.InvariantCulture,
                    $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion}; PRAGMA journal_mode = OFF; PRAGMA synchronous = FULL;"));
                using var transaction = connection.BeginTransaction();
                Execute(connection, """
                    CREATE TABLE contacts (peer_id BLOB NOT NULL PRIMARY KEY, address TEXT NOT NULL, latency_ms REAL, last_seen_ms INTEGER NOT NULL);
                    CREATE TABLE records (key BLOB NOT NULL PRIMARY KEY, local INTEGER NOT NULL, encoded BLOB NOT NULL);
                    CREATE TABLE providers (key BLOB NOT NULL, provider BLOB NOT NULL, local INTEGER NOT NULL, expires_ms INTEGER NOT NULL, PRIMARY KEY (key, provider, local));
                    """ + BootstrapPinTable.CreateSql, transaction);
                WriteContacts(connection, transaction, snapshot.Contacts);
                WriteRecords(connection, transaction, snapshot.Records);
                WriteProviders(connection, transaction, snapshot.Providers);
                BootstrapPinTable.Write(connection, transaction, snapshot.BootstrapPins);
                transaction.Commit();
            }

            // Rename last: readers see either the whole old state or the whole new one.
            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new DhtStateException(DhtStateError.Io, $"Saving DHT state to {Path} failed: {e.Message}", e);
        }
    }

    // The saved table says whom this node talks to: readable by its owner only, like the key file.
    // SQLite takes an empty file as a new database and keeps the mode it was created with.
    private static void CreateOwnerOnly(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
    }

    private void ReadContacts(SqliteConnection connection, List<ContactSnapshot> contacts, List<DhtStateProblem> problems)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT peer_id, address, latency_ms, last_seen_ms FROM contacts";
        using var reader = command.ExecuteReader();
        var row = 0;
        while (reader.Read())
        {
            row++;
            if (contacts.Count >= _maxContacts)
            {
                problems.Add(new DhtStateProblem(DhtStateError.TooManyRows, $"{Path} holds more than {_maxContacts} contacts; the rest were skipped."));
                return;
            }

            if (TryReadRow(() => (TryReadContact(reader, out var c, out var w), c, w), out var contact, out var why))
            {
                contacts.Add(contact);
            }
            else
            {
                problems.Add(new DhtStateProblem(DhtStateError.BadContact, string.Create(CultureInfo.InvariantCulture, $"Contact row {row} of {Path} was skipped: {why}.")));
            }
        }
    }

    /// <summary>
    /// Runs one row reader. The column checks make casts safe, but a damaged file may still surprise the
    /// provider (a NULL where the schema forbids one, a number out of range): any such failure costs the row only.
    /// </summary>
    private static bool TryReadRow<T>(Func<(bool Ok, T Value, string Why)> read, out T value, out string why)
    {
        try
        {
            (var ok, value, why) = read();
            return ok;
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            value = default!;
            why = $"a column cannot be read ({e.GetType().Name})";
            return false;
        }
    }

    private static bool TryReadContact(SqliteDataReader reader, out ContactSnapshot contact, out string why)
    {
        contact = default;
        for (var i = 0; i < 4; i++)
        {
            // Only the latency may be NULL (never measured).
            if (i != 2 && reader.IsDBNull(i))
            {
                why = "a required column is NULL";
                return false;
            }
        }

        // Column types are whatever the file says: check each before reading, so no cast can throw.
        if (!TryReadId(reader, 0, out var idBytes))
        {
            why = "the peer id is not 32 bytes";
            return false;
        }

        var id = PeerId.FromBytes(idBytes);
        if (reader.GetFieldType(1) != typeof(string) || reader.GetString(1) is not { Length: > 0 and <= MaxAddressLength } text ||
            !TransportAddress.TryParse(text, out var address, out _) || (address.ExpectedPeer is { } pinned && pinned != id))
        {
            why = "the address is missing, malformed or pinned to another peer";
            return false;
        }

        var latency = double.NaN;
        if (!reader.IsDBNull(2))
        {
            if (reader.GetFieldType(2) != typeof(double) && reader.GetFieldType(2) != typeof(long))
            {
                why = "the latency is not a number";
                return false;
            }

            latency = reader.GetDouble(2);
            if (!double.IsFinite(latency) || latency < 0)
            {
                why = "the latency is negative or not finite";
                return false;
            }
        }

        if (reader.GetFieldType(3) != typeof(long) || reader.GetInt64(3) is < 0 or > 253402300799999)
        {
            why = "the last-seen time is not a time in milliseconds between 1970 and 9999";
            return false;
        }

        contact = new ContactSnapshot(id, address.WithPeer(null).ToString(), latency, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), 0, null);
        why = string.Empty;
        return true;
    }

    private int ReadRecords(SqliteConnection connection, DateTimeOffset now, List<SavedRecord> records, List<DhtStateProblem> problems)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, local, encoded FROM records";
        using var reader = command.ExecuteReader();
        var nowMs = now.ToUnixTimeMilliseconds();
        var expired = 0;
        var row = 0;
        while (reader.Read())
        {
            row++;
            if (records.Count >= _options.MaxRecords)
            {
                problems.Add(new DhtStateProblem(DhtStateError.TooManyRows, $"{Path} holds more than {_options.MaxRecords} records; the rest were skipped."));
                break;
            }

            if (!TryReadRow(() => (TryReadRecord(reader, out var r, out var w), r, w), out var saved, out var why))
            {
                problems.Add(new DhtStateProblem(DhtStateError.BadRecord, string.Create(CultureInfo.InvariantCulture, $"Record row {row} of {Path} was skipped: {why}.")));
                continue;
            }

            if (saved.Record.ExpiresUnixMs <= nowMs)
            {
                expired++;
                continue;
            }

            records.Add(saved);
        }

        return expired;
    }

    // A 32-byte id column (contact, record key, provider): anything else is a damaged row.
    private static bool TryReadId(SqliteDataReader reader, int column, out byte[] bytes)
    {
        bytes = reader.GetFieldType(column) == typeof(byte[]) ? reader.GetFieldValue<byte[]>(column) : [];
        return bytes.Length == PeerId.Size;
    }

    private static bool IsFlag(SqliteDataReader reader, int column)
        => reader.GetFieldType(column) == typeof(long) && reader.GetInt64(column) is 0 or 1;

    private bool TryReadRecord(SqliteDataReader reader, out SavedRecord saved, out string why)
    {
        saved = default;
        if (reader.IsDBNull(0) || reader.IsDBNull(1) || reader.IsDBNull(2))
        {
            why = "a required column is NULL";
            return false;
        }

        if (!TryReadId(reader, 0, out var keyBytes))
        {
            why = "the key is not 32 bytes";
            return false;
        }

        if (!IsFlag(reader, 1))
        {
            why = "the local flag is not 0 or 1";
            return false;
        }

        if (reader.GetFieldType(2) != typeof(byte[]))
        {
            why = "the record is not a blob";
            return false;
        }

        var encoded = reader.GetFieldValue<byte[]>(2);
        if (!RecordEncoding.TryDecode(encoded, _options, out var record, out _, out var error) || record is null)
        {
            why = error == RecordDecodeError.None ? "it is a provider record, not a value record" : $"it does not decode ({error})";
            return false;
        }

        if (record.Key != PeerId.FromBytes(keyBytes))
        {
            why = "the key column differs from the record's key";
            return false;
        }

        saved = new SavedRecord(record, reader.GetInt64(1) == 1);
        why = string.Empty;
        return true;
    }

    private int ReadProviders(SqliteConnection connection, DateTimeOffset now, List<SavedProvider> providers, List<DhtStateProblem> problems)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, provider, local, expires_ms FROM providers";
        using var reader = command.ExecuteReader();
        // A store holds at most MaxProvidersPerKey providers for each of MaxRecords keys, and a node
        // announces at most MaxRecords keys itself: a file with more was not written by this node.
        var maxHeld = (long)_options.MaxRecords * _options.MaxProvidersPerKey;
        var held = 0L;
        var announced = 0;
        var nowMs = now.ToUnixTimeMilliseconds();
        var expired = 0;
        var row = 0;
        while (reader.Read())
        {
            row++;
            if (!TryReadRow(() => (TryReadProvider(reader, out var p, out var w), p, w), out var saved, out var why))
            {
                problems.Add(new DhtStateProblem(DhtStateError.BadProvider, string.Create(CultureInfo.InvariantCulture, $"Provider row {row} of {Path} was skipped: {why}.")));
                continue;
            }

            if (saved.AnnouncedLocally ? announced >= _options.MaxRecords : held >= maxHeld)
            {
                problems.Add(new DhtStateProblem(DhtStateError.TooManyRows, string.Create(CultureInfo.InvariantCulture,
                    $"{Path} holds more than {(saved.AnnouncedLocally ? _options.MaxRecords : maxHeld)} {(saved.AnnouncedLocally ? "announced" : "held")} provider records; the rest were skipped.")));
                break;
            }

            if (saved.Record.ExpiresUnixMs <= nowMs)
            {
                expired++;
                continue;
            }

            announced += saved.AnnouncedLocally ? 1 : 0;
            held += saved.AnnouncedLocally ? 0 : 1;
            providers.Add(saved);
        }

        return expired;
    }

    private static bool TryReadProvider(SqliteDataReader reader, out SavedProvider saved, out string why)
    {
        saved = default;
        for (var i = 0; i < 4; i++)
        {
            if (reader.IsDBNull(i))
            {
                why = "a required column is NULL";
                return false;
            }
        }

        if (!TryReadId(reader, 0, out var keyBytes))
        {
            why = "the key is not 32 bytes";
            return false;
        }

        if (!TryReadId(reader, 1, out var providerBytes))
        {
            why = "the provider is not 32 bytes";
            return false;
        }

        if (!IsFlag(reader, 2))
        {
            why = "the local flag is not 0 or 1";
            return false;
        }

        // The range the record encoding accepts: a row outside it could not have come from a record.
        if (reader.GetFieldType(3) != typeof(long) || reader.GetInt64(3) is < 0 or > 253402300799999)
        {
            why = "the expiry is not a time in milliseconds between 1970 and 9999";
            return false;
        }

        var record = new ProviderRecord(PeerId.FromBytes(keyBytes), PeerId.FromBytes(providerBytes), reader.GetInt64(3));
        saved = new SavedProvider(record, reader.GetInt64(2) == 1);
        why = string.Empty;
        return true;
    }

    private static void WriteContacts(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<ContactSnapshot> contacts)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO contacts (peer_id, address, latency_ms, last_seen_ms) VALUES ($id, $address, $latency, $seen)";
        var id = command.Parameters.Add("$id", SqliteType.Blob);
        var address = command.Parameters.Add("$address", SqliteType.Text);
        var latency = command.Parameters.Add("$latency", SqliteType.Real);
        var seen = command.Parameters.Add("$seen", SqliteType.Integer);
        var idBytes = new byte[PeerId.Size];
        foreach (var c in contacts)
        {
            if (c.Address is null)
            {
                // Without an address a contact cannot be dialled after a restart.
                continue;
            }

            c.Id.WriteTo(idBytes);
            id.Value = idBytes;
            address.Value = c.Address;
            latency.Value = double.IsFinite(c.LatencyMs) ? c.LatencyMs : DBNull.Value;
            seen.Value = Math.Max(0, c.LastSeen.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
    }

    private static void WriteRecords(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<SavedRecord> records)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO records (key, local, encoded) VALUES ($key, $local, $encoded)";
        var key = command.Parameters.Add("$key", SqliteType.Blob);
        var local = command.Parameters.Add("$local", SqliteType.Integer);
        var encoded = command.Parameters.Add("$encoded", SqliteType.Blob);
        var keyBytes = new byte[PeerId.Size];
        foreach (var r in records)
        {
            r.Record.Key.WriteTo(keyBytes);
            key.Value = keyBytes;
            local.Value = r.PublishedLocally ? 1 : 0;
            encoded.Value = RecordEncoding.Encode(r.Record);
            command.ExecuteNonQuery();
        }
    }

    private static void WriteProviders(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<SavedProvider> providers)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO providers (key, provider, local, expires_ms) VALUES ($key, $provider, $local, $expires)";
        var key = command.Parameters.Add("$key", SqliteType.Blob);
        var provider = command.Parameters.Add("$provider", SqliteType.Blob);
        var local = command.Parameters.Add("$local", SqliteType.Integer);
        var expires = command.Parameters.Add("$expires", SqliteType.Integer);
        var keyBytes = new byte[PeerId.Size];
        var providerBytes = new byte[PeerId.Size];
        foreach (var p in providers)
        {
            p.Record.Key.WriteTo(keyBytes);
            p.Record.Provider.WriteTo(providerBytes);
            key.Value = keyBytes;
            provider.Value = providerBytes;
            local.Value = p.AnnouncedLocally ? 1 : 0;
            expires.Value = p.Record.ExpiresUnixMs;
            command.ExecuteNonQuery();
        }
    }

    private void SetAside(List<DhtStateProblem> problems)
    {
        try
        {
            File.Move(Path, CorruptPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new DhtStateProblem(DhtStateError.Io, $"{Path} could not be moved aside: {e.Message}"));
        }
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        // No pooling: the file is replaced by rename, and a pooled handle would keep reading the old one.
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : -1;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is deleted before the next save.
        }
    }
}
