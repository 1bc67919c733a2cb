using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Overlay.Dht.Persistence;

/// <summary>
/// One load of <c>dht.db</c>: reads every table row by row (<see cref="DhtStateRows"/>), checks the row
/// seals, collects what is kept and the problems met, and remembers the rows to delete (bad, expired,
/// beyond the limits, or with a provider seal that does not match) so the file holds what was loaded;
/// provider rows kept from a file written before seals are sealed then.
/// </summary>
internal sealed class DhtStateReader(string path, DhtOptions options, int maxContacts, DhtRowSeal? seal, DateTimeOffset now)
{
    private readonly List<ContactSnapshot> _contacts = [];
    private readonly List<SavedRecord> _records = [];
    private readonly List<SavedProvider> _providers = [];
    private readonly List<BootstrapPin> _pins = [];
    private readonly List<DhtStateProblem> _problems = [];
    private readonly List<long> _refusedContacts = [];
    private readonly List<long> _refusedRecords = [];
    private readonly List<long> _refusedProviders = [];
    private readonly List<long> _refusedPins = [];
    private readonly List<(long RowId, SavedProvider Provider)> _unsealedProviders = [];
    private readonly long _nowMs = now.ToUnixTimeMilliseconds();
    private int _expiredRecords;
    private int _expiredProviders;

    public IReadOnlyList<ContactSnapshot> Contacts => _contacts;

    public void Problem(DhtStateError error, string detail) => _problems.Add(new DhtStateProblem(error, detail));

    public DhtStateLoadResult Result() =>
        new(new DhtSnapshot(_contacts, _records, _providers) { BootstrapPins = _pins }, _problems, _expiredRecords, _expiredProviders);

    /// <summary>Marks every record read so far unsealed, so the node checks each again.</summary>
    public void Unseal()
    {
        for (var i = 0; i < _records.Count; i++)
        {
            _records[i] = _records[i] with { Sealed = false };
        }
    }

    /// <summary>Reads contacts, records, providers and bootstrap pins. <paramref name="sealsExpected"/>: the file was written with seals (schema 3 and up).</summary>
    public void ReadAll(SqliteConnection connection, bool sealsExpected)
    {
        ReadContacts(connection);
        ReadRecords(connection, sealsExpected);
        ReadProviders(connection, sealsExpected);
        BootstrapPinTable.Read(connection, path, _pins, _refusedPins, Problem);
    }

    /// <summary>
    /// Deletes the rows this load refused and seals the provider rows kept from a file written before
    /// seals, in one transaction. (Unsealed records are sealed when the node, having checked them, writes them again.)
    /// </summary>
    public void Tidy(SqliteConnection connection)
    {
        if (_refusedContacts.Count + _refusedRecords.Count + _refusedProviders.Count + _refusedPins.Count + _unsealedProviders.Count == 0)
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        Delete(connection, transaction, "contacts", _refusedContacts);
        Delete(connection, transaction, "records", _refusedRecords);
        Delete(connection, transaction, "providers", _refusedProviders);
        Delete(connection, transaction, "bootstrap_pins", _refusedPins);
        if (seal is not null && _unsealedProviders.Count > 0)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE providers SET seal = $seal WHERE rowid = $id";
            var sealValue = command.Parameters.Add("$seal", SqliteType.Blob);
            var id = command.Parameters.Add("$id", SqliteType.Integer);
            var bytes = new byte[DhtRowSeal.Size];
            foreach (var (rowId, provider) in _unsealedProviders)
            {
                seal.SealProvider(provider.Record, provider.AnnouncedLocally, bytes);
                sealValue.Value = bytes;
                id.Value = rowId;
                command.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private static void Delete(SqliteConnection connection, SqliteTransaction transaction, string table, List<long> rowIds)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"DELETE FROM {table} WHERE rowid = $id";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        foreach (var rowId in rowIds)
        {
            id.Value = rowId;
            command.ExecuteNonQuery();
        }
    }

    private void ReadContacts(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT peer_id, address, latency_ms, last_seen_ms, rowid FROM contacts";
        using var reader = command.ExecuteReader();
        var row = 0;
        var over = false;
        while (reader.Read())
        {
            row++;
            if (_contacts.Count >= maxContacts)
            {
                if (!over)
                {
                    Problem(DhtStateError.TooManyRows, $"{path} holds more than {maxContacts} contacts; the rest were skipped.");
                    over = true;
                }

                _refusedContacts.Add(DhtStateRows.RowId(reader, 4));
                continue;
            }

            if (DhtStateRows.TryReadRow(() => (DhtStateRows.TryReadContact(reader, out var c, out var w), c, w), out var contact, out var why))
            {
                _contacts.Add(contact);
            }
            else
            {
                Problem(DhtStateError.BadContact, string.Create(CultureInfo.InvariantCulture, $"Contact row {row} of {path} was skipped: {why}."));
                _refusedContacts.Add(DhtStateRows.RowId(reader, 4));
            }
        }
    }

    private void ReadRecords(SqliteConnection connection, bool sealsExpected)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, local, encoded, seal, rowid FROM records";
        using var reader = command.ExecuteReader();
        var row = 0;
        var over = false;
        var unsealed = 0;
        var firstUnsealed = 0;
        Span<byte> key = stackalloc byte[Crypto.PeerId.Size];
        while (reader.Read())
        {
            row++;
            var rowId = DhtStateRows.RowId(reader, 4);
            if (_records.Count >= options.MaxRecords)
            {
                if (!over)
                {
                    Problem(DhtStateError.TooManyRows, $"{path} holds more than {options.MaxRecords} records; the rest were skipped.");
                    over = true;
                }

                _refusedRecords.Add(rowId);
                continue;
            }

            if (!DhtStateRows.TryReadRow(() => (DhtStateRows.TryReadRecord(reader, options, out var r, out var e, out var w), (r, e), w), out var read, out var why))
            {
                Problem(DhtStateError.BadRecord, string.Create(CultureInfo.InvariantCulture, $"Record row {row} of {path} was skipped: {why}."));
                _refusedRecords.Add(rowId);
                continue;
            }

            var (saved, encoded) = read;
            if (saved.Record.ExpiresUnixMs <= _nowMs)
            {
                _expiredRecords++;
                _refusedRecords.Add(rowId);
                continue;
            }

            var rowSeal = DhtStateRows.ReadSeal(reader, 3);
            saved.Record.Key.WriteTo(key);
            if (seal is not null && rowSeal.Length == DhtRowSeal.Size && seal.RecordMatches(key, saved.PublishedLocally, encoded, rowSeal))
            {
                saved = saved with { Sealed = true };
            }
            else if (seal is not null && (sealsExpected || rowSeal.Length > 0))
            {
                // Not ours, or edited since: the node checks this record like one from the network.
                unsealed++;
                firstUnsealed = firstUnsealed == 0 ? row : firstUnsealed;
            }

            _records.Add(saved);
        }

        // One sentence for all of them: a file of another identity would otherwise log a line per record.
        if (unsealed > 0)
        {
            Problem(DhtStateError.BadSeal, string.Create(CultureInfo.InvariantCulture,
                $"{unsealed} record row(s) of {path}, the first row {firstUnsealed}, lack this node's seal; their signatures are checked again."));
        }
    }

    private void ReadProviders(SqliteConnection connection, bool sealsExpected)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, provider, local, expires_ms, seal, rowid, public_key, signature FROM providers";
        using var reader = command.ExecuteReader();
        // A store holds at most MaxProvidersPerKey providers for each of MaxRecords keys, and a node
        // announces at most MaxRecords keys itself: a file with more was not written by this node.
        var maxHeld = (long)options.MaxRecords * options.MaxProvidersPerKey;
        var held = 0L;
        var announced = 0;
        var row = 0;
        var over = false;
        var unsealed = 0;
        var firstUnsealed = 0;
        while (reader.Read())
        {
            row++;
            var rowId = DhtStateRows.RowId(reader, 5);
            if (!DhtStateRows.TryReadRow(() => (DhtStateRows.TryReadProvider(reader, out var p, out var w), p, w), out var saved, out var why))
            {
                Problem(DhtStateError.BadProvider, string.Create(CultureInfo.InvariantCulture, $"Provider row {row} of {path} was skipped: {why}."));
                _refusedProviders.Add(rowId);
                continue;
            }

            if (saved.AnnouncedLocally ? announced >= options.MaxRecords : held >= maxHeld)
            {
                if (!over)
                {
                    Problem(DhtStateError.TooManyRows, string.Create(CultureInfo.InvariantCulture,
                        $"{path} holds more than {(saved.AnnouncedLocally ? options.MaxRecords : maxHeld)} {(saved.AnnouncedLocally ? "announced" : "held")} provider records; the rest were skipped."));
                    over = true;
                }

                _refusedProviders.Add(rowId);
                continue;
            }

            if (saved.Record.ExpiresUnixMs <= _nowMs)
            {
                _expiredProviders++;
                _refusedProviders.Add(rowId);
                continue;
            }

            // Without this node's seal a provider row is refused, unless the file predates seals (it was kept then
            // on the strength of the file being the node's; such a row has no signature, so only an own
            // announcement survives the restore, to be signed when next announced).
            var rowSeal = DhtStateRows.ReadSeal(reader, 4);
            var intact = rowSeal.Length == DhtRowSeal.Size && seal?.ProviderMatches(saved.Record, saved.AnnouncedLocally, rowSeal) == true;
            if (seal is not null && !intact && (sealsExpected || rowSeal.Length > 0))
            {
                unsealed++;
                firstUnsealed = firstUnsealed == 0 ? row : firstUnsealed;
                _refusedProviders.Add(rowId);
                continue;
            }

            if (!intact)
            {
                _unsealedProviders.Add((rowId, saved));
            }

            announced += saved.AnnouncedLocally ? 1 : 0;
            held += saved.AnnouncedLocally ? 0 : 1;
            _providers.Add(saved with { Sealed = intact });
        }

        if (unsealed > 0)
        {
            Problem(DhtStateError.BadSeal, string.Create(CultureInfo.InvariantCulture,
                $"{unsealed} provider row(s) of {path}, the first row {firstUnsealed}, lack this node's seal; they were skipped."));
        }
    }
}
