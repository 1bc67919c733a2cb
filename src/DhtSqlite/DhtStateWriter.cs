using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Persistence;

/// <summary>
/// Applies <see cref="DhtStateChange"/>s to an open <c>dht.db</c> through statements prepared once:
/// record and provider rows are upserted with their seal, contacts are compared with what the file
/// holds and only changed ones written. Owned by <see cref="SqliteDhtStateStore"/>; one thread at a time.
/// </summary>
internal sealed class DhtStateWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly DhtRowSeal? _seal;
    private readonly SqliteCommand _storeRecord;
    private readonly SqliteCommand _removeRecord;
    private readonly SqliteCommand _storeProvider;
    private readonly SqliteCommand _removeProvider;
    private readonly SqliteCommand _storeContact;
    private readonly SqliteCommand _removeContact;
    private readonly SqliteCommand _removeExpired;
    private readonly SqliteCommand _storeBootstrapPin;
    private readonly byte[] _key = new byte[PeerId.Size];
    private readonly byte[] _provider = new byte[PeerId.Size];
    private readonly byte[] _sealBytes = new byte[DhtRowSeal.Size];

    // What the contacts table holds, so a save writes only what changed.
    private Dictionary<PeerId, ContactRow> _contacts = [];

    public DhtStateWriter(SqliteConnection connection, DhtRowSeal? seal)
    {
        _connection = connection;
        _seal = seal;
        _storeRecord = Prepare("INSERT OR REPLACE INTO records (key, local, encoded, expires_ms, seal) VALUES ($a, $b, $c, $d, $e)", 5);
        _removeRecord = Prepare("DELETE FROM records WHERE key = $a", 1);
        _storeProvider = Prepare("INSERT OR REPLACE INTO providers (key, provider, local, expires_ms, seal, public_key, signature) VALUES ($a, $b, $c, $d, $e, $f, $g)", 7);
        _removeProvider = Prepare("DELETE FROM providers WHERE key = $a AND provider = $b AND local = $c", 3);
        _storeContact = Prepare("INSERT OR REPLACE INTO contacts (peer_id, address, latency_ms, last_seen_ms) VALUES ($a, $b, $c, $d)", 4);
        _removeContact = Prepare("DELETE FROM contacts WHERE peer_id = $a", 1);
        _removeExpired = Prepare("DELETE FROM records WHERE expires_ms <= $a; DELETE FROM providers WHERE expires_ms <= $a", 1);
        _storeBootstrapPin = Prepare(BootstrapPinTable.StoreSql, 3);
    }

    /// <summary>Tells the writer which contacts the file holds (those loaded; the rest were deleted at load).</summary>
    public void ContactsOnDisk(IReadOnlyList<ContactSnapshot> contacts)
    {
        _contacts = new Dictionary<PeerId, ContactRow>(contacts.Count);
        foreach (var c in contacts)
        {
            _contacts[c.Id] = ContactRow.Of(c);
        }
    }

    /// <summary>Applies <paramref name="changes"/> in one transaction; on failure nothing is applied.</summary>
    public void Apply(IReadOnlyList<DhtStateChange> changes)
    {
        Dictionary<PeerId, ContactRow>? contactsAfter = null;
        using (var transaction = _connection.BeginTransaction())
        {
            foreach (var change in changes)
            {
                switch (change.Kind)
                {
                    case DhtStateChangeKind.StoreRecord:
                        StoreRecord(transaction, change.Record);
                        break;
                    case DhtStateChangeKind.RemoveRecord:
                        change.Key.WriteTo(_key);
                        Run(_removeRecord, transaction, _key);
                        break;
                    case DhtStateChangeKind.StoreProvider:
                        StoreProvider(transaction, change.Provider);
                        break;
                    case DhtStateChangeKind.RemoveProvider:
                        change.Provider.Record.Key.WriteTo(_key);
                        change.Provider.Record.Provider.WriteTo(_provider);
                        Run(_removeProvider, transaction, _key, _provider, change.Provider.AnnouncedLocally ? 1L : 0L);
                        break;
                    case DhtStateChangeKind.SaveContacts:
                        contactsAfter = SaveContacts(transaction, contactsAfter ?? _contacts, change.Contacts!);
                        break;
                    case DhtStateChangeKind.RemoveExpired:
                        Run(_removeExpired, transaction, change.Time.ToUnixTimeMilliseconds());
                        break;
                    case DhtStateChangeKind.StoreBootstrapPin:
                        Run(_storeBootstrapPin, transaction, BootstrapPinTable.Values(change.Pin));
                        break;
                    default:
                        throw new ArgumentException($"Unknown DHT state change {change.Kind}.", nameof(changes));
                }
            }

            transaction.Commit();
        }

        // Only a committed save changes what the file is known to hold.
        if (contactsAfter is not null)
        {
            _contacts = contactsAfter;
        }
    }

    public void Dispose()
    {
        foreach (var command in (SqliteCommand[])[_storeRecord, _removeRecord, _storeProvider, _removeProvider, _storeContact, _removeContact, _removeExpired, _storeBootstrapPin])
        {
            command.Dispose();
        }
    }

    private void StoreRecord(SqliteTransaction transaction, SavedRecord saved)
    {
        var encoded = RecordEncoding.Encode(saved.Record);
        saved.Record.Key.WriteTo(_key);
        object seal = DBNull.Value;
        if (_seal is not null)
        {
            _seal.SealRecord(_key, saved.PublishedLocally, encoded, _sealBytes);
            seal = _sealBytes;
        }

        Run(_storeRecord, transaction, _key, saved.PublishedLocally ? 1L : 0L, encoded, saved.Record.ExpiresUnixMs, seal);
    }

    private void StoreProvider(SqliteTransaction transaction, SavedProvider saved)
    {
        saved.Record.Key.WriteTo(_key);
        saved.Record.Provider.WriteTo(_provider);
        object seal = DBNull.Value;
        if (_seal is not null)
        {
            _seal.SealProvider(saved.Record, saved.AnnouncedLocally, _sealBytes);
            seal = _sealBytes;
        }

        object publicKey = saved.Record.IsSigned ? saved.Record.ProviderPublicKey.ToArray() : DBNull.Value;
        object signature = saved.Record.IsSigned ? saved.Record.Signature.ToArray() : DBNull.Value;
        Run(_storeProvider, transaction, _key, _provider, saved.AnnouncedLocally ? 1L : 0L, saved.Record.ExpiresUnixMs, seal, publicKey, signature);
    }

    private Dictionary<PeerId, ContactRow> SaveContacts(SqliteTransaction transaction, Dictionary<PeerId, ContactRow> before, IReadOnlyList<ContactSnapshot> contacts)
    {
        var after = new Dictionary<PeerId, ContactRow>(contacts.Count);
        var id = new byte[PeerId.Size];
        foreach (var c in contacts)
        {
            if (c.Address is null || after.ContainsKey(c.Id))
            {
                // Without an address a contact cannot be dialled after a restart.
                continue;
            }

            var row = ContactRow.Of(c);
            after[c.Id] = row;
            if (!before.TryGetValue(c.Id, out var old) || old != row)
            {
                c.Id.WriteTo(id);
                Run(_storeContact, transaction, id, row.Address, double.IsFinite(row.LatencyMs) ? row.LatencyMs : DBNull.Value, row.LastSeenMs);
            }
        }

        foreach (var gone in before.Keys)
        {
            if (!after.ContainsKey(gone))
            {
                gone.WriteTo(id);
                Run(_removeContact, transaction, id);
            }
        }

        return after;
    }

    private SqliteCommand Prepare(string sql, int parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters; i++)
        {
            command.Parameters.Add(new SqliteParameter("$" + (char)('a' + i), null));
        }

        return command;
    }

    private static void Run(SqliteCommand command, SqliteTransaction transaction, params object[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }

    /// <summary>A contact as the table holds it; equal rows need no write.</summary>
    private readonly record struct ContactRow(string Address, double LatencyMs, long LastSeenMs)
    {
        public static ContactRow Of(ContactSnapshot c) =>
            new(c.Address ?? string.Empty, double.IsFinite(c.LatencyMs) ? c.LatencyMs : double.NaN, Math.Max(0, c.LastSeen.ToUnixTimeMilliseconds()));

        // NaN never equals itself: two unmeasured latencies are the same row.
        public bool Equals(ContactRow other) =>
            Address == other.Address && LastSeenMs == other.LastSeenMs &&
            (LatencyMs == other.LatencyMs || (double.IsNaN(LatencyMs) && double.IsNaN(other.LatencyMs)));

        public override int GetHashCode() => HashCode.Combine(Address, LastSeenMs);
    }
}
