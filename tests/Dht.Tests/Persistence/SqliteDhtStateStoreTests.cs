using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests.Persistence;

public sealed class SqliteDhtStateStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-dhtstate").FullName;
    private readonly NodeIdentity _publisher = NodeIdentity.FromRandom(new Random(5));
    private readonly DhtRowSeal _seal;
    private readonly DhtOptions _options = new();

    public SqliteDhtStateStoreTests()
    {
        _seal = DhtRowSeal.FromIdentity(_publisher);
    }

    public void Dispose()
    {
        _seal.Dispose();
        _publisher.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string DbPath => Path.Combine(_dir, SqliteDhtStateStore.FileName);

    private SqliteDhtStateStore Store(DhtRowSeal? seal = null) => new(DbPath, _options, maxContacts: 1000, seal ?? _seal);

    /// <summary>Loads the file with a store that is closed again at once (its log folded into the file).</summary>
    private DhtStateLoadResult Load(DateTimeOffset now, DhtRowSeal? seal = null)
    {
        using var store = Store(seal);
        return store.Load(now);
    }

    /// <summary>Writes a whole snapshot through <see cref="IDhtStateStore.Apply"/>, as a node's journal would piece by piece.</summary>
    private void Save(DhtSnapshot snapshot, DhtRowSeal? seal = null)
    {
        using var store = Store(seal);
        store.Load(T0.AddYears(-10));
        store.Apply(Changes(snapshot));
    }

    private static List<DhtStateChange> Changes(DhtSnapshot snapshot)
    {
        var changes = new List<DhtStateChange> { DhtStateChange.SaveContacts(snapshot.Contacts) };
        changes.AddRange(snapshot.Records.Select(DhtStateChange.StoreRecord));
        changes.AddRange(snapshot.Providers.Select(DhtStateChange.StoreProvider));
        return changes;
    }

    [Fact]
    public void Load_NoFile_IsEmptyWithoutProblems()
    {
        var result = Load(T0);
        Assert.Empty(result.Snapshot.Contacts);
        Assert.Empty(result.Snapshot.Records);
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void SaveThenLoad_RoundTripsContactsAndRecords()
    {
        var random = new Random(11);
        var contacts = new List<ContactSnapshot>();
        for (var i = 0; i < 50; i++)
        {
            var latency = i % 5 == 0 ? double.NaN : random.NextDouble() * 300;
            contacts.Add(new ContactSnapshot(PeerId.Random(random), $"tcp://10.0.{i}.1:4001", latency, T0.AddMinutes(-i), 0, null));
        }

        var records = new List<SavedRecord>();
        for (var i = 0; i < 20; i++)
        {
            records.Add(new SavedRecord(Sign(PeerId.Random(random), $"value {i}", T0.AddHours(1)), PublishedLocally: i % 2 == 0));
        }

        Save(new DhtSnapshot(contacts, records));
        var loaded = Load(T0);

        Assert.Empty(loaded.Problems);
        Assert.Equal(0, loaded.ExpiredRecords);
        Assert.Equal(contacts.Count, loaded.Snapshot.Contacts.Count);
        foreach (var c in contacts)
        {
            var back = Assert.Single(loaded.Snapshot.Contacts, x => x.Id == c.Id);
            Assert.Equal(c.Address, back.Address);
            Assert.Equal(c.LastSeen, back.LastSeen);
            Assert.Equal(double.IsNaN(c.LatencyMs), double.IsNaN(back.LatencyMs));
            if (!double.IsNaN(c.LatencyMs))
            {
                Assert.Equal(c.LatencyMs, back.LatencyMs, 9);
            }
        }

        Assert.Equal(records.Count, loaded.Snapshot.Records.Count);
        foreach (var r in records)
        {
            var back = Assert.Single(loaded.Snapshot.Records, x => x.Record.Key == r.Record.Key);
            Assert.True(back.Record.ContentEquals(r.Record));
            Assert.Equal(r.PublishedLocally, back.PublishedLocally);
            Assert.True(back.Sealed);
        }
    }

    [Fact]
    public void SaveContacts_WritesOnlyWhatChanged_AndDeletesContactsGone()
    {
        var random = new Random(2);
        var same = new ContactSnapshot(PeerId.Random(random), "tcp://10.0.0.1:4001", 5, T0, 0, null);
        var moved = new ContactSnapshot(PeerId.Random(random), "tcp://10.0.0.2:4001", 6, T0, 0, null);
        var gone = new ContactSnapshot(PeerId.Random(random), "tcp://10.0.0.3:4001", 7, T0, 0, null);
        var unmeasured = new ContactSnapshot(PeerId.Random(random), "tcp://10.0.0.4:4001", double.NaN, T0, 0, null);
        var added = new ContactSnapshot(PeerId.Random(random), "tcp://10.0.0.5:4001", 8, T0, 0, null);
        using (var store = Store())
        {
            store.Load(T0);
            store.Apply([DhtStateChange.SaveContacts([same, moved, gone, unmeasured])]);
        }

        var before = RowIds("contacts", "peer_id");
        using (var store = Store())
        {
            store.Load(T0);
            store.Apply([DhtStateChange.SaveContacts([same, moved with { Address = "tcp://10.0.9.2:4001" }, unmeasured, added])]);
        }

        var after = RowIds("contacts", "peer_id");
        // Unchanged rows keep their row (nothing was written); the changed one was rewritten, the gone one deleted.
        Assert.Equal(before[same.Id], after[same.Id]);
        Assert.Equal(before[unmeasured.Id], after[unmeasured.Id]);
        Assert.NotEqual(before[moved.Id], after[moved.Id]);
        Assert.False(after.ContainsKey(gone.Id));
        var loaded = Load(T0);
        Assert.Equal(4, loaded.Snapshot.Contacts.Count);
        Assert.Equal("tcp://10.0.9.2:4001", Assert.Single(loaded.Snapshot.Contacts, c => c.Id == moved.Id).Address);
    }

    [Fact]
    public void Apply_RemovesRecordsProvidersAndExpiredRows_AndAFailedBatchAppliesNothing()
    {
        var random = new Random(3);
        var a = Sign(PeerId.Random(random), "a", T0.AddHours(2));
        var b = Sign(PeerId.Random(random), "b", T0.AddHours(2));
        var soon = Sign(PeerId.Random(random), "soon", T0.AddMinutes(10));
        var provider = new SavedProvider(new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(2).ToUnixTimeMilliseconds()), false);
        var soonProvider = new SavedProvider(new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddMinutes(10).ToUnixTimeMilliseconds()), true);
        using (var store = Store())
        {
            store.Load(T0);
            store.Apply([.. new[] { a, b, soon }.Select(r => DhtStateChange.StoreRecord(new SavedRecord(r, false))),
                DhtStateChange.StoreProvider(provider), DhtStateChange.StoreProvider(soonProvider)]);
            store.Apply([DhtStateChange.RemoveRecord(a.Key), DhtStateChange.RemoveProvider(provider), DhtStateChange.RemoveExpired(T0.AddMinutes(10))]);

            // A change the store cannot apply fails the whole batch: the record before it is not kept either.
            var late = Sign(PeerId.Random(random), "late", T0.AddHours(2));
            Assert.Throws<ArgumentNullException>(() => store.Apply([DhtStateChange.StoreRecord(new SavedRecord(late, false)), DhtStateChange.StoreRecord(default)]));
        }

        var loaded = Load(T0);
        Assert.Equal(b.Key, Assert.Single(loaded.Snapshot.Records).Record.Key);
        Assert.Empty(loaded.Snapshot.Providers);
        Assert.Equal(0, loaded.ExpiredRecords);
    }

    [Fact]
    public void Store_CreatesItsFilesSoOnlyItsOwnerCanRead()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only.");
        }

        var random = new Random(4);
        using var store = Store();
        store.Load(T0);
        store.Apply([DhtStateChange.SaveContacts([new ContactSnapshot(PeerId.Random(random), "tcp://10.0.0.1:4001", 5, T0, 0, null)])]);

        // While open, the write-ahead log and its index sit beside the file, with the file's mode.
        foreach (var file in new[] { DbPath, DbPath + "-wal", DbPath + "-shm" })
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void Load_RecordsExpiredWhileStopped_AreDroppedAndCounted()
    {
        var random = new Random(3);
        var live = Sign(PeerId.Random(random), "live", T0.AddHours(2));
        var dead = Sign(PeerId.Random(random), "dead", T0.AddMinutes(30));
        Save(new DhtSnapshot([], [new SavedRecord(live, true), new SavedRecord(dead, false)]));

        var loaded = Load(T0.AddHours(1));

        Assert.Equal(live.Key, Assert.Single(loaded.Snapshot.Records).Record.Key);
        Assert.Equal(1, loaded.ExpiredRecords);
        Assert.Empty(loaded.Problems);
    }

    [Fact]
    public void Load_BadRows_AreSkippedWithTypedProblems_GoodRowsKept()
    {
        var random = new Random(4);
        var good = new ContactSnapshot(PeerId.Random(random), "tcp://192.0.2.1:4001", 10, T0, 0, null);
        var record = Sign(PeerId.Random(random), "kept", T0.AddHours(1));
        Save(new DhtSnapshot([good], [new SavedRecord(record, false)]));
        var other = PeerId.Random(random);

        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO contacts VALUES (x'0102', 'tcp://192.0.2.2:4001', 1.0, 0);
                INSERT INTO contacts VALUES (randomblob(32), 'not an address', 1.0, 0);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.3:4001', -5.0, 0);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.4:4001', 'fast', 0);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.5:4001', 1.0, 'yesterday');
                INSERT INTO contacts VALUES (randomblob(32), 12345, 1.0, 0);
                INSERT INTO records (key, local, encoded) VALUES (randomblob(32), 0, x'01');
                INSERT INTO records (key, local, encoded) VALUES (randomblob(32), 7, x'01');
                INSERT INTO records (key, local, encoded) VALUES ('text key', 0, x'01');
                INSERT INTO records (key, local, encoded) VALUES ($other, 0, $encoded);
                """;
            command.Parameters.AddWithValue("$other", other.ToArray());
            command.Parameters.AddWithValue("$encoded", RecordEncoding.Encode(record));
            command.ExecuteNonQuery();
        }

        var loaded = Load(T0);

        Assert.Equal(good.Id, Assert.Single(loaded.Snapshot.Contacts).Id);
        Assert.True(Assert.Single(loaded.Snapshot.Records).Record.ContentEquals(record));
        Assert.Equal(6, loaded.Problems.Count(p => p.Error == DhtStateError.BadContact));
        Assert.Equal(4, loaded.Problems.Count(p => p.Error == DhtStateError.BadRecord));
        Assert.Contains(loaded.Problems, p => p.Detail.Contains("key column differs", StringComparison.Ordinal));

        // The bad rows were deleted: the next load meets none of them.
        Assert.Empty(Load(T0).Problems);
    }

    [Fact]
    public void Load_RightHeaderButLooseSchema_NullsAndOddTypesAreBadRows()
    {
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                PRAGMA application_id = {SqliteDhtStateStore.ApplicationId}; PRAGMA user_version = 2;
                CREATE TABLE contacts (peer_id, address, latency_ms, last_seen_ms);
                CREATE TABLE records (key, local, encoded);
                CREATE TABLE providers (key, provider, local, expires_ms);
                INSERT INTO contacts VALUES (NULL, NULL, NULL, NULL);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.9:1', NULL, NULL);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.9:1', 1e400, 5);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.9:1', NULL, 5.5);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.9:1', NULL, 99999999999999999);
                INSERT INTO contacts VALUES (randomblob(32), 'tcp://192.0.2.9:1', NULL, 7);
                INSERT INTO records VALUES (NULL, NULL, NULL);
                INSERT INTO records VALUES (randomblob(32), 1.5, x'01');
                INSERT INTO records VALUES (randomblob(32), 1, 'text');
                INSERT INTO providers VALUES (NULL, NULL, NULL, NULL);
                INSERT INTO providers VALUES (randomblob(32), randomblob(32), 0.5, 1e15);
                INSERT INTO providers VALUES (randomblob(32), randomblob(32), 1, 1e15);
                INSERT INTO providers VALUES (randomblob(32), randomblob(32), 1, -1);
                INSERT INTO providers VALUES (randomblob(32), randomblob(32), 0, 1800000000000);
                """;
            command.ExecuteNonQuery();
        }

        var loaded = Load(T0);

        var kept = Assert.Single(loaded.Snapshot.Contacts);
        Assert.True(double.IsNaN(kept.LatencyMs));
        Assert.Equal(5, loaded.Problems.Count(p => p.Error == DhtStateError.BadContact));
        Assert.Equal(3, loaded.Problems.Count(p => p.Error == DhtStateError.BadRecord));
        Assert.Equal(4, loaded.Problems.Count(p => p.Error == DhtStateError.BadProvider));
        Assert.Empty(loaded.Snapshot.Records);
        Assert.Equal(1_800_000_000_000, Assert.Single(loaded.Snapshot.Providers).Record.ExpiresUnixMs);
    }

    [Fact]
    public void Load_AnotherDatabase_IsUnknownFormatAndEmpty()
    {
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE shards (id BLOB); PRAGMA user_version = 9;";
            command.ExecuteNonQuery();
        }

        var loaded = Load(T0);
        Assert.Equal(DhtStateError.UnknownFormat, Assert.Single(loaded.Problems).Error);
        Assert.Empty(loaded.Snapshot.Contacts);
    }

    [Fact]
    public void Load_CorruptedFiles_NeverThrow_AreReportedSetAsideAndReplacedByANewFile()
    {
        var random = new Random(8);
        var contacts = new List<ContactSnapshot>();
        for (var i = 0; i < 200; i++)
        {
            contacts.Add(new ContactSnapshot(PeerId.Random(random), $"tcp://10.1.{i}.1:4001", i, T0, 0, null));
        }

        var records = new List<SavedRecord>();
        for (var i = 0; i < 30; i++)
        {
            records.Add(new SavedRecord(Sign(PeerId.Random(random), new string('v', 500), T0.AddHours(1)), false));
        }

        Save(new DhtSnapshot(contacts, records));
        var valid = File.ReadAllBytes(DbPath);
        var flagged = 0;
        for (var round = 0; round < 60; round++)
        {
            byte[] bytes;
            switch (round % 3)
            {
                case 0:
                    bytes = new byte[random.Next(0, 8192)];
                    random.NextBytes(bytes);
                    break;
                case 1:
                    bytes = valid[..random.Next(1, valid.Length)];
                    break;
                default:
                    bytes = (byte[])valid.Clone();
                    for (var k = 0; k < 16; k++)
                    {
                        bytes[random.Next(100, bytes.Length)] = (byte)random.Next(256);
                    }

                    break;
            }

            File.WriteAllBytes(DbPath, bytes);
            using var store = Store();
            var loaded = store.Load(T0);
            if (loaded.Problems.Count > 0)
            {
                flagged++;
                Assert.All(loaded.Problems, p => Assert.NotEqual(DhtStateError.None, p.Error));
            }

            if (loaded.Problems.Any(p => p.Error is DhtStateError.FileCorrupt or DhtStateError.UnknownFormat))
            {
                Assert.True(File.Exists(store.CorruptPath));
                // What was read from a damaged file is checked again, never trusted on its seal.
                Assert.All(loaded.Snapshot.Records, r => Assert.False(r.Sealed));
            }

            Assert.True(loaded.Snapshot.Contacts.Count <= contacts.Count);

            // Whatever the damage, the store takes writes afterwards (into a new file when it set the old one aside).
            store.Apply([DhtStateChange.StoreRecord(records[round % records.Count])]);
        }

        // Random bytes are never a database: at least those rounds must be reported.
        Assert.True(flagged >= 20);

        File.WriteAllBytes(DbPath, [1, 2, 3]);
        Assert.Equal(DhtStateError.FileCorrupt, Assert.Single(Load(T0).Problems).Error);
        Save(new DhtSnapshot(contacts, records));
        var again = Load(T0);
        Assert.Empty(again.Problems);
        Assert.Equal(contacts.Count, again.Snapshot.Contacts.Count);
        Assert.Equal(records.Count, again.Snapshot.Records.Count);
    }

    [Fact]
    public void RestoreRecord_TamperedSignatureOrExpiry_IsRefusedByTheNodesValidator()
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 1);
        using var identity = NodeIdentity.FromRandom(new Random(9));
        var node = new DhtNode(identity, _options, clock, new Random(1), h => net.CreateNode(identity.PeerId, h));
        var random = new Random(10);
        var good = Sign(PeerId.Random(random), "good", T0.AddHours(1));
        var other = Sign(PeerId.Random(random), "other", T0.AddHours(1));
        var signature = other.Signature.ToArray();
        signature[0] ^= 1;
        var tampered = new DhtRecord(other.Key, other.Value.Span, other.PublisherPublicKey.Span, other.Sequence, other.Expires, signature);
        var expired = Sign(PeerId.Random(random), "old", T0.AddSeconds(-1));

        var own = DhtRecord.Create(PeerId.Random(random), "own"u8, identity.PublicKey.Encoded, 1, T0.AddHours(1), p => identity.Sign(p));

        Assert.Equal(RecordRejection.None, node.RestoreRecord(new SavedRecord(good, true)));
        Assert.Equal(RecordRejection.BadSignature, node.RestoreRecord(new SavedRecord(tampered, false)));
        Assert.Equal(RecordRejection.Expired, node.RestoreRecord(new SavedRecord(expired, false)));
        Assert.Equal(RecordRejection.None, node.RestoreRecord(new SavedRecord(own, false)));
        var saved = node.SnapshotRecords();
        Assert.Equal(2, saved.Count);
        // Unsealed rows: "published here" is whether the node's own key signed the record, not what the row says.
        Assert.False(Assert.Single(saved, r => r.Record.ContentEquals(good)).PublishedLocally);
        Assert.True(Assert.Single(saved, r => r.Record.ContentEquals(own)).PublishedLocally);
    }

    [Fact]
    public void RestoreContacts_SkipsSelfAndBadAddresses_AndListsTheRest()
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 1);
        using var identity = NodeIdentity.FromRandom(new Random(12));
        var node = new DhtNode(identity, _options, clock, new Random(1), h => net.CreateNode(identity.PeerId, h));
        var random = new Random(13);
        var a = new ContactSnapshot(PeerId.Random(random), "tcp://127.0.0.1:5001", 3, T0.AddMinutes(-5), 0, null);
        var b = new ContactSnapshot(PeerId.Random(random), "tcp://127.0.0.1:5002", double.NaN, T0.AddMinutes(-1), 0, null);
        var self = new ContactSnapshot(identity.PeerId, "tcp://127.0.0.1:5003", 1, T0, 0, null);
        var noAddress = new ContactSnapshot(PeerId.Random(random), null, 1, T0, 0, null);
        var badAddress = new ContactSnapshot(PeerId.Random(random), "nonsense", 1, T0, 0, null);

        // Both on one loopback host: the per-/24 limits must not keep the second one out.
        Assert.Equal(2, node.RestoreContacts([a, self, b, noAddress, badAddress]));
        var listed = node.SnapshotContacts();
        Assert.Equal(2, listed.Count);
        Assert.Contains(listed, c => c.Id == a.Id && c.Address == a.Address && c.LastSeen == a.LastSeen);
        Assert.Contains(listed, c => c.Id == b.Id);
    }

    [Fact]
    public void SaveThenLoad_RoundTripsHeldAndAnnouncedProviders()
    {
        var random = new Random(21);
        var providers = new List<SavedProvider>();
        var shared = PeerId.Random(random);
        for (var i = 0; i < 30; i++)
        {
            // Several providers under one key, and one key both held for another peer and announced here.
            var key = i < 5 ? shared : PeerId.Random(random);
            var expires = T0.AddMinutes(10 + i).ToUnixTimeMilliseconds();
            providers.Add(new SavedProvider(new ProviderRecord(key, PeerId.Random(random), expires), AnnouncedLocally: i % 3 == 0));
        }

        var self = PeerId.Random(random);
        providers.Add(new SavedProvider(new ProviderRecord(shared, self, T0.AddHours(2).ToUnixTimeMilliseconds()), AnnouncedLocally: true));
        providers.Add(new SavedProvider(new ProviderRecord(shared, self, T0.AddHours(2).ToUnixTimeMilliseconds()), AnnouncedLocally: false));
        // A signed record keeps its provider's key and signature across the restart, so it can be served again.
        using var holder = NodeIdentity.FromRandom(new Random(55));
        providers.Add(new SavedProvider(SignedProviders.Sign(holder, shared, T0.AddHours(3)), AnnouncedLocally: false));
        Save(new DhtSnapshot([], [], providers));

        var loaded = Load(T0);

        Assert.Empty(loaded.Problems);
        Assert.Equal(0, loaded.ExpiredProviders);
        Assert.Equal(providers.Count, loaded.Snapshot.Providers.Count);
        Assert.Equal(new HashSet<SavedProvider>(providers.Select(p => p with { Sealed = true })), new HashSet<SavedProvider>(loaded.Snapshot.Providers));
        Assert.Contains(loaded.Snapshot.Providers, p => p.Record.IsSigned && p.Record.Provider == holder.PeerId);
    }

    [Fact]
    public void Load_ProvidersExpiredWhileStopped_AreDroppedAndCounted()
    {
        var random = new Random(22);
        var live = new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(2).ToUnixTimeMilliseconds());
        var deadHeld = new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddMinutes(30).ToUnixTimeMilliseconds());
        var deadOwn = new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(1).ToUnixTimeMilliseconds());
        Save(new DhtSnapshot([], [], [new(live, false), new(deadHeld, false), new(deadOwn, true)]));

        // Expiry at exactly now counts as expired, as it does for records from the network.
        var loaded = Load(T0.AddHours(1));

        Assert.Equal(live, Assert.Single(loaded.Snapshot.Providers).Record);
        Assert.Equal(2, loaded.ExpiredProviders);
        Assert.Equal(0, loaded.ExpiredRecords);
        Assert.Empty(loaded.Problems);
    }

    [Fact]
    public void Load_ProviderRowsWithRandomBytesInFields_AreSkippedWithTypedProblems_NeverThrow()
    {
        var random = new Random(23);
        var good = new List<SavedProvider>();
        for (var i = 0; i < 10; i++)
        {
            good.Add(new SavedProvider(new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(1).ToUnixTimeMilliseconds()), i % 2 == 0));
        }

        var contact = new ContactSnapshot(PeerId.Random(random), "tcp://192.0.2.1:4001", 10, T0, 0, null);
        var record = Sign(PeerId.Random(random), "kept", T0.AddHours(1));
        Save(new DhtSnapshot([contact], [new SavedRecord(record, true)], good));

        const int rows = 400;
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO providers (key, provider, local, expires_ms) VALUES ($key, $provider, $local, $expires)";
            var fields = new[]
            {
                // No declared types: each value goes in as what it is, the way a damaged file may hold it.
                command.Parameters.AddWithValue("$key", DBNull.Value),
                command.Parameters.AddWithValue("$provider", DBNull.Value),
                command.Parameters.AddWithValue("$local", DBNull.Value),
                command.Parameters.AddWithValue("$expires", DBNull.Value),
            };
            for (var row = 0; row < rows; row++)
            {
                // A valid row, then one field replaced by something no valid row holds: random bytes of a
                // length other than 32 in an id, random bytes or an out-of-range number in the flag or expiry.
                fields[0].Value = PeerId.Random(random).ToArray();
                fields[1].Value = PeerId.Random(random).ToArray();
                fields[2].Value = random.Next(2);
                fields[3].Value = T0.AddHours(1).ToUnixTimeMilliseconds();
                var broken = random.Next(4);
                fields[broken].Value = broken switch
                {
                    0 or 1 => RandomBytesNot32(random),
                    2 => random.Next(2) == 0 ? RandomBytesNot32(random) : random.NextInt64(2, long.MaxValue) * (random.Next(2) == 0 ? 1 : -1),
                    _ => random.Next(2) == 0 ? RandomBytesNot32(random) : random.Next(2) == 0 ? -random.NextInt64(1, long.MaxValue) : random.NextInt64(253402300800000, long.MaxValue),
                };
                command.ExecuteNonQuery();
            }

            // Rows of nothing but random bytes: the flag and expiry are never blobs in a valid row.
            command.CommandText = "INSERT INTO providers (key, provider, local, expires_ms) VALUES (randomblob(abs(random()) % 64), randomblob(abs(random()) % 64), randomblob(abs(random()) % 9 + 1), randomblob(abs(random()) % 9 + 1))";
            for (var row = 0; row < 50; row++)
            {
                command.ExecuteNonQuery();
            }
        }

        var loaded = Load(T0);

        Assert.Equal(rows + 50, loaded.Problems.Count);
        Assert.All(loaded.Problems, p => Assert.Equal(DhtStateError.BadProvider, p.Error));
        Assert.All(loaded.Problems, p => Assert.StartsWith("Provider row ", p.Detail, StringComparison.Ordinal));
        Assert.Equal(new HashSet<SavedProvider>(good.Select(p => p with { Sealed = true })), new HashSet<SavedProvider>(loaded.Snapshot.Providers));
        Assert.Equal(contact.Id, Assert.Single(loaded.Snapshot.Contacts).Id);
        Assert.True(Assert.Single(loaded.Snapshot.Records).Record.ContentEquals(record));
    }

    [Fact]
    public void Load_SchemaOneFile_LoadsContactsAndRecordsUnsealed_AndIsUpgradedInPlace()
    {
        var random = new Random(24);
        var contactId = PeerId.Random(random);
        var record = Sign(PeerId.Random(random), "from schema 1", T0.AddHours(1));

        // The file as schema 1 wrote it: no providers table, user_version 1.
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                PRAGMA application_id = {SqliteDhtStateStore.ApplicationId}; PRAGMA user_version = 1; PRAGMA journal_mode = OFF;
                CREATE TABLE contacts (peer_id BLOB NOT NULL PRIMARY KEY, address TEXT NOT NULL, latency_ms REAL, last_seen_ms INTEGER NOT NULL);
                CREATE TABLE records (key BLOB NOT NULL PRIMARY KEY, local INTEGER NOT NULL, encoded BLOB NOT NULL);
                INSERT INTO contacts VALUES ($id, 'tcp://192.0.2.1:4001', 12.5, {T0.AddMinutes(-3).ToUnixTimeMilliseconds()});
                INSERT INTO records VALUES ($key, 1, $encoded);
                """;
            command.Parameters.AddWithValue("$id", contactId.ToArray());
            command.Parameters.AddWithValue("$key", record.Key.ToArray());
            command.Parameters.AddWithValue("$encoded", RecordEncoding.Encode(record));
            command.ExecuteNonQuery();
        }

        var provider = new SavedProvider(new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(1).ToUnixTimeMilliseconds()), true);
        using (var store = Store())
        {
            var old = store.Load(T0);

            // A file from before seals is not a problem, but nothing in it is trusted on a seal.
            Assert.Empty(old.Problems);
            var contact = Assert.Single(old.Snapshot.Contacts);
            Assert.Equal(contactId, contact.Id);
            Assert.Equal(12.5, contact.LatencyMs);
            var saved = Assert.Single(old.Snapshot.Records);
            Assert.True(saved.Record.ContentEquals(record));
            Assert.True(saved.PublishedLocally);
            Assert.False(saved.Sealed);
            Assert.Empty(old.Snapshot.Providers);
            Assert.Equal(SqliteDhtStateStore.SchemaVersion, UserVersion());

            // The node, having checked the record, writes it again: sealed from then on.
            store.Apply([DhtStateChange.StoreRecord(saved with { Sealed = false }), DhtStateChange.StoreProvider(provider)]);
        }

        var migrated = Load(T0);
        Assert.Empty(migrated.Problems);
        Assert.Equal(contactId, Assert.Single(migrated.Snapshot.Contacts).Id);
        var again = Assert.Single(migrated.Snapshot.Records);
        Assert.True(again.Record.ContentEquals(record));
        Assert.True(again.Sealed);
        Assert.Equal(provider with { Sealed = true }, Assert.Single(migrated.Snapshot.Providers));
    }

    [Fact]
    public void Load_SchemaTwoFile_KeepsItsProvidersAndSealsThem_RecordsAreCheckedAgain()
    {
        var random = new Random(28);
        var record = Sign(PeerId.Random(random), "from schema 2", T0.AddHours(1));
        var held = new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(1).ToUnixTimeMilliseconds());
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                PRAGMA application_id = {SqliteDhtStateStore.ApplicationId}; PRAGMA user_version = 2; PRAGMA journal_mode = OFF;
                CREATE TABLE contacts (peer_id BLOB NOT NULL PRIMARY KEY, address TEXT NOT NULL, latency_ms REAL, last_seen_ms INTEGER NOT NULL);
                CREATE TABLE records (key BLOB NOT NULL PRIMARY KEY, local INTEGER NOT NULL, encoded BLOB NOT NULL);
                CREATE TABLE providers (key BLOB NOT NULL, provider BLOB NOT NULL, local INTEGER NOT NULL, expires_ms INTEGER NOT NULL, PRIMARY KEY (key, provider, local));
                INSERT INTO records VALUES ($key, 0, $encoded);
                INSERT INTO providers VALUES ($pkey, $provider, 0, {held.ExpiresUnixMs});
                """;
            command.Parameters.AddWithValue("$key", record.Key.ToArray());
            command.Parameters.AddWithValue("$encoded", RecordEncoding.Encode(record));
            command.Parameters.AddWithValue("$pkey", held.Key.ToArray());
            command.Parameters.AddWithValue("$provider", held.Provider.ToArray());
            command.ExecuteNonQuery();
        }

        var first = Load(T0);
        Assert.Empty(first.Problems);
        Assert.False(Assert.Single(first.Snapshot.Records).Sealed);
        Assert.Equal(held, Assert.Single(first.Snapshot.Providers).Record);

        // The provider row was sealed on the way, so the next load keeps it without a problem; the record
        // stays unsealed (and is checked again) until the node writes it.
        var second = Load(T0);
        Assert.Equal(held, Assert.Single(second.Snapshot.Providers).Record);
        Assert.False(Assert.Single(second.Snapshot.Records).Sealed);
        Assert.Single(second.Problems, p => p.Error == DhtStateError.BadSeal);
    }

    [Fact]
    public void Load_NewerSchemaVersion_IsUnknownFormatAndEmpty_AndSetAside()
    {
        Save(new DhtSnapshot([new ContactSnapshot(PeerId.Random(new Random(25)), "tcp://10.0.0.1:4001", 5, T0, 0, null)], []));
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SqliteDhtStateStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        var loaded = Load(T0);

        Assert.Equal(DhtStateError.UnknownFormat, Assert.Single(loaded.Problems).Error);
        Assert.Empty(loaded.Snapshot.Contacts);
        Assert.True(File.Exists(DbPath + ".corrupt"));
    }

    [Fact]
    public void RestoreProvider_ChecksExpiryAndOwnership_AndSnapshotListsWhatWasKept()
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 1);
        using var identity = NodeIdentity.FromRandom(new Random(26));
        var node = new DhtNode(identity, _options, clock, new Random(1), h => net.CreateNode(identity.PeerId, h));
        var random = new Random(27);
        var inAnHour = T0.AddHours(1).ToUnixTimeMilliseconds();
        using var holder = NodeIdentity.FromRandom(new Random(28));
        var held = SignedProviders.Sign(holder, PeerId.Random(random), inAnHour);
        var unsigned = new ProviderRecord(PeerId.Random(random), holder.PeerId, inAnHour);
        var badSignature = new ProviderRecord(PeerId.Random(random), holder.PeerId, inAnHour, held.ProviderPublicKey, held.Signature);
        var own = new ProviderRecord(PeerId.Random(random), identity.PeerId, inAnHour);
        var ownNamingAnother = new ProviderRecord(PeerId.Random(random), PeerId.Random(random), inAnHour);
        var expired = new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddSeconds(-1).ToUnixTimeMilliseconds());
        var tooFar = new ProviderRecord(PeerId.Random(random), identity.PeerId, T0.AddDays(30).ToUnixTimeMilliseconds());

        Assert.Equal(RecordRejection.None, node.RestoreProvider(new SavedProvider(held, false)));
        // A held record must carry its provider's signature, checked again unless the row was sealed by this node.
        Assert.Equal(RecordRejection.PublicKeyLength, node.RestoreProvider(new SavedProvider(unsigned, false, Sealed: true)));
        Assert.Equal(RecordRejection.BadSignature, node.RestoreProvider(new SavedProvider(badSignature, false)));
        Assert.Equal(RecordRejection.None, node.RestoreProvider(new SavedProvider(own, true)));
        Assert.Equal(RecordRejection.ProviderNotSender, node.RestoreProvider(new SavedProvider(ownNamingAnother, true)));
        Assert.Equal(RecordRejection.Expired, node.RestoreProvider(new SavedProvider(expired, false)));
        Assert.Equal(RecordRejection.ExpiryTooFar, node.RestoreProvider(new SavedProvider(tooFar, true)));
        Assert.Equal(RecordRejection.ExpiryTooFar, node.RestoreProvider(new SavedProvider(tooFar, false)));

        var listed = node.SnapshotProviders();
        Assert.Equal(2, listed.Count);
        Assert.Contains(new SavedProvider(held, false), listed);
        Assert.Contains(new SavedProvider(own, true), listed);
    }

    private static byte[] RandomBytesNot32(Random random)
    {
        var length = random.Next(0, 63);
        var bytes = new byte[length >= 32 ? length + 1 : length];
        random.NextBytes(bytes);
        return bytes;
    }

    private Dictionary<PeerId, long> RowIds(string table, string idColumn)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {idColumn}, rowid FROM {table}";
        using var reader = command.ExecuteReader();
        var ids = new Dictionary<PeerId, long>();
        while (reader.Read())
        {
            ids[PeerId.FromBytes(reader.GetFieldValue<byte[]>(0))] = reader.GetInt64(1);
        }

        return ids;
    }

    private long UserVersion()
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)command.ExecuteScalar()!;
    }

    private DhtRecord Sign(PeerId key, string value, DateTimeOffset expires) =>
        DhtRecord.Create(key, System.Text.Encoding.UTF8.GetBytes(value), _publisher.PublicKey.Encoded, 1, expires, p => _publisher.Sign(p));
}
