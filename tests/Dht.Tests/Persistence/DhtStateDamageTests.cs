using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests.Persistence;

/// <summary>
/// dht.db after a crash or in someone else's hands: a torn write-ahead log keeps every whole transaction
/// and nothing of a torn one; a row edited on disk loses its seal and is checked again or refused.
/// </summary>
public sealed class DhtStateDamageTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-dhtdamage").FullName;
    private readonly NodeIdentity _identity = NodeIdentity.FromRandom(new Random(51));
    private readonly DhtRowSeal _seal;
    private readonly DhtOptions _options = new();

    public DhtStateDamageTests()
    {
        _seal = DhtRowSeal.FromIdentity(_identity);
    }

    public void Dispose()
    {
        _seal.Dispose();
        _identity.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string DbPath => Path.Combine(_dir, SqliteDhtStateStore.FileName);

    [Fact]
    public void Load_TornLogTail_KeepsEveryWholeTransactionAndNothingOfATornOne()
    {
        const int Batches = 20;
        const int PerBatch = 5;
        var random = new Random(52);
        var batches = new List<List<DhtRecord>>();
        byte[] file, log;
        using (var store = new SqliteDhtStateStore(DbPath, _options, 1000, _seal))
        {
            store.Load(T0);
            for (var b = 0; b < Batches; b++)
            {
                var batch = Enumerable.Range(0, PerBatch).Select(i => Sign(PeerId.Random(random), $"batch {b} record {i}")).ToList();
                batches.Add(batch);
                store.Apply([.. batch.Select(r => DhtStateChange.StoreRecord(new SavedRecord(r, true)))]);
            }

            // What a killed process leaves: the file and its log as they are while it runs.
            file = File.ReadAllBytes(DbPath);
            log = File.ReadAllBytes(DbPath + "-wal");
        }

        Assert.True(log.Length > 100_000, $"the log holds only {log.Length} bytes; the batches were checkpointed away");
        var seen = new HashSet<int>();
        for (var round = 0; round < 60; round++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(_dir, "round" + round)).FullName;
            var path = Path.Combine(dir, SqliteDhtStateStore.FileName);
            File.WriteAllBytes(path, file);
            // Round 0: the log as the kill left it, whole.
            var torn = round == 0 ? log : log[..random.Next(0, log.Length)];
            if (round % 3 == 2 && torn.Length > 64)
            {
                // A tail written out of order: garbage where the last frames should be.
                random.NextBytes(torn.AsSpan(random.Next(32, torn.Length)));
            }

            File.WriteAllBytes(path + "-wal", torn);
            using var store = new SqliteDhtStateStore(path, _options, 1000, _seal);
            var loaded = store.Load(T0);

            Assert.DoesNotContain(loaded.Problems, p => p.Error is DhtStateError.FileCorrupt or DhtStateError.BadRecord or DhtStateError.BadSeal);
            var keys = loaded.Snapshot.Records.Select(r => r.Record.Key).ToHashSet();
            Assert.All(loaded.Snapshot.Records, r => Assert.True(r.Sealed));
            // Whole batches only, and a prefix of them: a transaction is there with every one before it.
            var whole = 0;
            while (whole < Batches && batches[whole].All(r => keys.Contains(r.Key)))
            {
                whole++;
            }

            Assert.Equal(whole * PerBatch, keys.Count);
            seen.Add(whole);
        }

        Assert.Contains(Batches, seen);
        Assert.True(seen.Count >= 5, $"the tears kept only {seen.Count} distinct prefixes");
    }

    [Fact]
    public void Load_RecordRowEditedOnDisk_IsCheckedAgainAndRefused_WhileAForgedSealWouldLetItIn()
    {
        var original = Sign(PeerId.Random(new Random(53)), "the value the node stored");
        SaveRecords([original]);

        // Edit the stored value in place: same key, sequence and signature, other bytes.
        var forged = new DhtRecord(original.Key, "a value nobody signed!!!!"u8, original.PublisherPublicKey.Span, original.Sequence, original.Expires, original.Signature.Span);
        Execute("UPDATE records SET encoded = $encoded", ("$encoded", RecordEncoding.Encode(forged)));

        var loaded = Load();
        var row = Assert.Single(loaded.Snapshot.Records);
        Assert.False(row.Sealed);
        Assert.Single(loaded.Problems, p => p.Error == DhtStateError.BadSeal);
        var node = Node();
        Assert.Equal(RecordRejection.BadSignature, node.RestoreRecord(row));
        Assert.Empty(node.SnapshotRecords());

        // Without the seal check, i.e. a seal that matches the edited row (as only the node's key can make),
        // the same edit is taken back without a signature check and served: the seal is the defence.
        var seal = new byte[DhtRowSeal.Size];
        _seal.SealRecord(original.Key.ToArray(), true, RecordEncoding.Encode(forged), seal);
        Execute("UPDATE records SET encoded = $encoded, seal = $seal", ("$encoded", RecordEncoding.Encode(forged)), ("$seal", seal));
        var trusted = Assert.Single(Load().Snapshot.Records);
        Assert.True(trusted.Sealed);
        var fooled = Node();
        Assert.Equal(RecordRejection.None, fooled.RestoreRecord(trusted));
        Assert.True(Assert.Single(fooled.SnapshotRecords()).Record.ContentEquals(forged));
    }

    [Fact]
    public void Load_ProviderRowEditedOnDisk_IsSkippedAndDeleted()
    {
        var random = new Random(54);
        var held = new SavedProvider(new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(1).ToUnixTimeMilliseconds()), false);
        var other = new SavedProvider(new ProviderRecord(PeerId.Random(random), PeerId.Random(random), T0.AddHours(1).ToUnixTimeMilliseconds()), false);
        using (var store = Store())
        {
            store.Load(T0);
            store.Apply([DhtStateChange.StoreProvider(held), DhtStateChange.StoreProvider(other)]);
        }

        // Someone names themselves as the provider of a key: the seal covers the provider column.
        Execute("UPDATE providers SET provider = $p WHERE key = $k", ("$p", PeerId.Random(random).ToArray()), ("$k", held.Record.Key.ToArray()));

        var loaded = Load();
        Assert.Equal(other with { Sealed = true }, Assert.Single(loaded.Snapshot.Providers));
        Assert.Single(loaded.Problems, p => p.Error == DhtStateError.BadSeal);
        Assert.Empty(Load().Problems);
    }

    [Fact]
    public void Load_FileOfAnotherIdentity_ChecksEveryRecordAgain()
    {
        var random = new Random(55);
        var records = Enumerable.Range(0, 8).Select(i => Sign(PeerId.Random(random), "record " + i)).ToList();
        SaveRecords(records);
        using var stranger = NodeIdentity.FromRandom(new Random(56));
        using var strangerSeal = DhtRowSeal.FromIdentity(stranger);

        using var store = new SqliteDhtStateStore(DbPath, _options, 1000, strangerSeal);
        var loaded = store.Load(T0);

        Assert.Equal(records.Count, loaded.Snapshot.Records.Count);
        Assert.All(loaded.Snapshot.Records, r => Assert.False(r.Sealed));
        // One sentence for all of them, not a line per record.
        var problem = Assert.Single(loaded.Problems);
        Assert.Equal(DhtStateError.BadSeal, problem.Error);
        Assert.StartsWith($"{records.Count} record row(s)", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RandomEditsOfRecordRows_NeverThrow_AndOnlyRecordsTheNodeStoredComeBack()
    {
        var random = new Random(57);
        var records = Enumerable.Range(0, 12).Select(i => Sign(PeerId.Random(random), "record " + i)).ToList();
        var originals = records.ToDictionary(r => r.Key);
        var refused = 0;
        var kept = 0;
        for (var round = 0; round < 120; round++)
        {
            if (File.Exists(DbPath))
            {
                File.Delete(DbPath);
            }

            SaveRecords(records);
            // One column of one row: a byte of the record, of the seal, the key, or the flag.
            var victim = records[random.Next(records.Count)].Key.ToArray();
            var column = random.Next(4);
            using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
            {
                connection.Open();
                using var read = connection.CreateCommand();
                read.CommandText = "SELECT encoded, seal FROM records WHERE key = $k";
                read.Parameters.AddWithValue("$k", victim);
                using var row = read.ExecuteReader();
                row.Read();
                var encoded = row.GetFieldValue<byte[]>(0);
                var seal = row.GetFieldValue<byte[]>(1);
                row.Close();
                using var write = connection.CreateCommand();
                write.Parameters.AddWithValue("$k", victim);
                switch (column)
                {
                    case 0:
                        encoded[random.Next(encoded.Length)] ^= (byte)random.Next(1, 256);
                        write.CommandText = "UPDATE records SET encoded = $v WHERE key = $k";
                        write.Parameters.AddWithValue("$v", encoded);
                        break;
                    case 1:
                        seal[random.Next(seal.Length)] ^= (byte)random.Next(1, 256);
                        write.CommandText = "UPDATE records SET seal = $v WHERE key = $k";
                        write.Parameters.AddWithValue("$v", seal);
                        break;
                    case 2:
                        write.CommandText = "UPDATE records SET key = $v WHERE key = $k";
                        write.Parameters.AddWithValue("$v", PeerId.Random(random).ToArray());
                        break;
                    default:
                        write.CommandText = "UPDATE records SET local = 1 - local WHERE key = $k";
                        break;
                }

                write.ExecuteNonQuery();
            }

            var loaded = Load();
            var node = Node();
            foreach (var saved in loaded.Snapshot.Records)
            {
                if (node.RestoreRecord(saved) != RecordRejection.None)
                {
                    refused++;
                }
            }

            // Whatever was edited, the node holds only records exactly as it stored them, its own marked as such.
            foreach (var held in node.SnapshotRecords())
            {
                Assert.True(originals.TryGetValue(held.Record.Key, out var original) && held.Record.ContentEquals(original), $"round {round}: an edited record came back");
                Assert.True(held.PublishedLocally);
                kept++;
            }
        }

        Assert.True(refused > 0, "no edit was refused");
        Assert.True(kept > 100 * records.Count, "too few records came back from the untouched rows");
    }

    private SqliteDhtStateStore Store() => new(DbPath, _options, 1000, _seal);

    private DhtStateLoadResult Load()
    {
        using var store = Store();
        return store.Load(T0);
    }

    private void SaveRecords(IEnumerable<DhtRecord> records)
    {
        using var store = Store();
        store.Load(T0);
        store.Apply([.. records.Select(r => DhtStateChange.StoreRecord(new SavedRecord(r, PublishedLocally: true)))]);
    }

    private DhtNode Node()
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 1);
        return new DhtNode(_identity, _options, clock, new Random(1), h => net.CreateNode(_identity.PeerId, h));
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    // Records this node publishes: signed with its own key, so "published here" survives a check.
    private DhtRecord Sign(PeerId key, string value) =>
        DhtRecord.Create(key, System.Text.Encoding.UTF8.GetBytes(value), _identity.PublicKey.Encoded, 1, T0.AddHours(1), p => _identity.Sign(p));
}
