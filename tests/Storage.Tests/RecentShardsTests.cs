// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using Microsoft.Data.Sqlite;
using Overlay.Storage;

namespace Overlay.Storage.Tests;

/// <summary>
/// New shards are appended to a log (<c>recent_shards</c>) and merged into the id index in sorted
/// runs. Every operation must see a logged shard exactly like a merged one, before, during and
/// after a merge, across reopen and after a migration from a schema-1 file.
/// </summary>
public sealed class RecentShardsTests
{
    // A threshold of 1 merges after every batch (shards are then in the id index); a large one keeps them in the log.
    private const int MergeEveryBatch = 1;
    private const int NeverMerge = 1 << 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A clock that never moves, so the writer never finds the queue idle long enough to merge on its
    // own and the tests control when merges happen.
    private static ManualTimeProvider StoppedClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static async Task<List<(ShardId Id, byte[] Data)>> PutAllAsync(SqliteShardStore store, Random random, int count, int size)
    {
        var shards = new List<(ShardId, byte[])>(count);
        for (var i = 0; i < count; i++)
        {
            var data = TempStore.RandomBytes(random, size);
            var put = await store.PutAsync(data, cancellationToken: Ct);
            Assert.True(put.Stored);
            shards.Add((put.Id, data));
        }

        return shards;
    }

    private static void AssertAllServed(SqliteShardStore store, IEnumerable<(ShardId Id, byte[] Data)> shards)
    {
        foreach (var (id, data) in shards)
        {
            var buffer = new byte[data.Length];
            Assert.Equal(new ShardReadResult(ShardReadStatus.Found, data.Length), store.Read(id, buffer));
            Assert.Equal(data, buffer);
            Assert.True(store.Contains(id));
            Assert.True(store.TryGetInfo(id, out var info));
            Assert.Equal(data.Length, info.Size);
        }
    }

    private static async Task<List<ShardInfo>> EnumerateAsync(SqliteShardStore store)
    {
        var all = new List<ShardInfo>();
        await foreach (var info in store.EnumerateAsync(Ct))
        {
            all.Add(info);
        }

        return all;
    }

    [Fact]
    public async Task Put_BeforeAndAfterTheMerge_IsServedListedAndCountedTheSame()
    {
        await using var temp = new TempStore(o => o.MergeThreshold = 1200, StoppedClock());
        var random = new Random(1);
        // 1100 shards: more than two enumeration pages, all still in the log.
        var shards = await PutAllAsync(temp.Store, random, 1100, 100);
        Assert.Equal(1100, temp.Store.RecentCount);
        Assert.Equal(0, temp.Store.Merges);
        AssertAllServed(temp.Store, shards);
        var expected = shards.Select(s => s.Id).Order().ToList();
        Assert.Equal(expected, (await EnumerateAsync(temp.Store)).Select(i => i.Id).ToList());

        // Crossing the threshold merges the log (before the barrier below is taken).
        shards.AddRange(await PutAllAsync(temp.Store, random, 100, 100));
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(1, temp.Store.Merges);
        Assert.Equal(0, temp.Store.RecentCount);
        AssertAllServed(temp.Store, shards);
        Assert.Equal(shards.Select(s => s.Id).Order().ToList(), (await EnumerateAsync(temp.Store)).Select(i => i.Id).ToList());
        TempStore.AssertUsage(temp.Store, 1200, 120_000, temp.Options.CapacityBytes);

        // A mix: half merged, half logged, listed in one id order.
        var more = await PutAllAsync(temp.Store, random, 600, 100);
        shards.AddRange(more);
        Assert.Equal(600, temp.Store.RecentCount);
        Assert.Equal(shards.Select(s => s.Id).Order().ToList(), (await EnumerateAsync(temp.Store)).Select(i => i.Id).ToList());
        var report = await temp.Store.VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsClean, report.ToString());
        Assert.Equal(1800, report.Checked);
    }

    [Theory]
    [InlineData(MergeEveryBatch)]
    [InlineData(NeverMerge)]
    public async Task DuplicatePinDeleteAndExpiry_OfLoggedOrMergedShard_BehaveAlike(int mergeThreshold)
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var temp = new TempStore(o => o.MergeThreshold = mergeThreshold, clock);
        var random = new Random(2);
        var a = TempStore.RandomBytes(random, 300);
        var b = TempStore.RandomBytes(random, 400);
        var c = TempStore.RandomBytes(random, 500);
        var soon = clock.GetUtcNow().AddMinutes(5);
        var idA = (await temp.Store.PutAsync(a, cancellationToken: Ct)).Id;
        var idB = (await temp.Store.PutAsync(b, new ShardPutOptions { ExpiresAt = soon }, Ct)).Id;
        var idC = (await temp.Store.PutAsync(c, new ShardPutOptions { ExpiresAt = soon }, Ct)).Id;
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(mergeThreshold == NeverMerge ? 3 : 0, temp.Store.RecentCount);

        // Duplicate: not stored again, not counted again, but its pin and longer life are kept.
        var later = soon.AddHours(1);
        Assert.False((await temp.Store.PutAsync(c, new ShardPutOptions { ExpiresAt = later, Pinned = true }, Ct)).Stored);
        Assert.False((await temp.Store.PutAsync(a, cancellationToken: Ct)).Stored);
        Assert.Equal(3, temp.Store.GetUsage().ShardCount);
        Assert.Equal(1200, temp.Store.GetUsage().UsedBytes);
        Assert.True(temp.Store.TryGetInfo(idC, out var infoC));
        Assert.True(infoC.Pinned);
        Assert.Equal(later, infoC.ExpiresAt);

        // Pin, unpin.
        Assert.True(await temp.Store.SetPinnedAsync(idA, true, Ct));
        Assert.True(temp.Store.TryGetInfo(idA, out var infoA) && infoA.Pinned);
        Assert.True(await temp.Store.SetPinnedAsync(idA, false, Ct));
        Assert.True(temp.Store.TryGetInfo(idA, out infoA) && !infoA.Pinned);

        // Expiry: B expired and unpinned goes; C is pinned and stays.
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(new ExpirySweep(1, 0), await temp.Store.CollectExpiredAsync(clock.GetUtcNow(), 100, Ct));
        Assert.False(temp.Store.Contains(idB));
        Assert.True(temp.Store.Contains(idC));

        // Delete, then a put of the same content in the same batch stores it anew.
        Assert.True(await temp.Store.DeleteAsync(idA, Ct));
        Assert.False(await temp.Store.DeleteAsync(idA, Ct));
        Assert.False(temp.Store.Contains(idA));
        Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(idA, new byte[300]).Status);
        var delete = temp.Store.DeleteAsync(idC, Ct);
        var again = temp.Store.PutAsync(c, cancellationToken: Ct);
        Assert.True(await delete);
        Assert.True((await again).Stored);
        await temp.Store.FlushAsync(Ct);
        AssertAllServed(temp.Store, [(idC, c)]);
        TempStore.AssertUsage(temp.Store, 1, 500, temp.Options.CapacityBytes);

        await temp.ReopenAsync();
        Assert.Equal(1, temp.Store.GetUsage().ShardCount);
        Assert.Equal([idC], (await EnumerateAsync(temp.Store)).Select(i => i.Id).ToList());
    }

    [Theory]
    [InlineData(MergeEveryBatch)]
    [InlineData(NeverMerge)]
    public async Task Quarantine_OfLoggedOrMergedShard_RemovesItAndRecordsIt(int mergeThreshold)
    {
        await using var temp = new TempStore(
            o =>
            {
                o.MergeThreshold = mergeThreshold;
                o.MergeOnClose = false;
            },
            StoppedClock());
        var shards = await PutAllAsync(temp.Store, new Random(3), 3, 2000);
        await temp.CloseAsync();
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString()))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            // Where the shard is says which path the test takes.
            command.CommandText = "SELECT (SELECT count(*) FROM recent_shards), (SELECT count(*) FROM shards)";
            using (var counts = command.ExecuteReader())
            {
                counts.Read();
                Assert.Equal(mergeThreshold == NeverMerge ? (3L, 0L) : (0L, 3L), (counts.GetInt64(0), counts.GetInt64(1)));
            }

            command.CommandText = "UPDATE shard_data SET data = zeroblob(2000) WHERE rowid = (SELECT data_id FROM shards WHERE id = $id UNION ALL SELECT data_id FROM recent_shards WHERE id = $id)";
            command.Parameters.AddWithValue("$id", shards[0].Id.ToArray());
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        await temp.ReopenAsync();
        Assert.Equal(ShardReadStatus.Corrupted, temp.Store.Read(shards[0].Id, new byte[2000]).Status);
        await temp.Store.FlushAsync(Ct);
        Assert.False(temp.Store.Contains(shards[0].Id));
        AssertAllServed(temp.Store, shards.Skip(1));
        Assert.Equal(4000, temp.Store.GetUsage().UsedBytes);
        await temp.CloseAsync();
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString()))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "SELECT size FROM quarantine WHERE id = $id";
            command.Parameters.AddWithValue("$id", shards[0].Id.ToArray());
            Assert.Equal(2000L, command.ExecuteScalar());
        }

        await temp.ReopenAsync();
    }

    [Fact]
    public async Task Reopen_WithShardsInTheLog_LoadsThemAndMergesThemLater()
    {
        await using var temp = new TempStore(
            o =>
            {
                o.MergeThreshold = 1000;
                o.MergeOnClose = false;
            },
            StoppedClock());
        var random = new Random(4);
        var shards = await PutAllAsync(temp.Store, random, 700, 64);
        await temp.ReopenAsync();

        Assert.Equal(700, temp.Store.RecentCount);
        AssertAllServed(temp.Store, shards);
        Assert.False((await temp.Store.PutAsync(shards[5].Data, cancellationToken: Ct)).Stored);
        shards.AddRange(await PutAllAsync(temp.Store, random, 400, 64));
        await temp.Store.FlushAsync(Ct);
        // Puts were awaited one by one, so the merge ran right after the thousandth.
        Assert.Equal(1, temp.Store.Merges);
        Assert.Equal(100, temp.Store.RecentCount);
        AssertAllServed(temp.Store, shards);
        await temp.ReopenAsync();
        Assert.Equal(100, temp.Store.RecentCount);
        Assert.Equal(1100, temp.Store.GetUsage().ShardCount);
        Assert.Equal(1100 * 64, temp.Store.GetUsage().UsedBytes);
        AssertAllServed(temp.Store, shards);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Close_LeavesTheLog_OrWhenAskedMergesIt(bool mergeOnClose)
    {
        await using var temp = new TempStore(o => o.MergeOnClose = mergeOnClose, StoppedClock());
        var shards = await PutAllAsync(temp.Store, new Random(9), 300, 64);
        Assert.Equal(300, temp.Store.RecentCount);
        await temp.CloseAsync();
        Assert.Equal(mergeOnClose ? (0L, 300L) : (300L, 0L), CountRows(temp.DatabasePath));

        await temp.ReopenAsync();
        Assert.Equal(mergeOnClose ? 0 : 300, temp.Store.RecentCount);
        AssertAllServed(temp.Store, shards);
    }

    private static (long Logged, long Merged) CountRows(string databasePath)
    {
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM recent_shards), (SELECT count(*) FROM shards)";
        using var counts = command.ExecuteReader();
        counts.Read();
        return (counts.GetInt64(0), counts.GetInt64(1));
    }

    [Fact]
    public async Task Enumerate_WhileMergesMoveLoggedShards_ListsEachExactlyOnceInIdOrder()
    {
        await using var temp = new TempStore(
            o =>
            {
                o.MergeThreshold = 700;
                o.MergeChunkShards = 16;
                o.WriteBatchSize = 16;
            },
            StoppedClock());
        var random = new Random(13);
        // 1300 shards: 700 merged by the first merge, 600 still in the log when the listing starts.
        var initial = await PutAllAsync(temp.Store, random, 1300, 40);
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(600, temp.Store.RecentCount);
        var mergesBefore = temp.Store.Merges;

        var listed = new List<ShardId>();
        await foreach (var info in temp.Store.EnumerateAsync(Ct))
        {
            listed.Add(info.Id);
            if (listed.Count % 200 == 0)
            {
                // Enough new puts to merge the log (the shards still to be listed among them) between pages.
                await PutAllAsync(temp.Store, random, 120, 40);
                await temp.Store.FlushAsync(Ct);
            }
        }

        Assert.True(temp.Store.Merges > mergesBefore, "no merge ran during the listing");
        for (var i = 1; i < listed.Count; i++)
        {
            Assert.True(listed[i - 1] < listed[i], $"item {i} out of order or listed twice");
        }

        var set = listed.ToHashSet();
        Assert.All(initial, shard => Assert.Contains(shard.Id, set));
    }

    [Fact]
    public async Task Close_LeavesALogLargerThanOneMergeTransaction_AndReopenLoadsIt()
    {
        await using var temp = new TempStore(o => o.MergeChunkShards = 16, StoppedClock());
        var shards = await PutAllAsync(temp.Store, new Random(10), 40, 64);
        await temp.CloseAsync();
        Assert.Equal((40L, 0L), CountRows(temp.DatabasePath));

        await temp.ReopenAsync();
        Assert.Equal(40, temp.Store.RecentCount);
        Assert.Equal(0, temp.Store.Merges);
        AssertAllServed(temp.Store, shards);
        Assert.Equal(40, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task IdleWriter_BelowTheThreshold_LeavesTheLogAsItIs()
    {
        var clock = StoppedClock();
        await using var temp = new TempStore(time: clock);
        var shards = await PutAllAsync(temp.Store, new Random(11), 50, 64);
        await temp.Store.FlushAsync(Ct);
        clock.Advance(TimeSpan.FromHours(1));
        // The barrier goes through the writer after the clock moved: an idle merge would have run by then.
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(0, temp.Store.Merges);
        Assert.Equal(50, temp.Store.RecentCount);
        AssertAllServed(temp.Store, shards);
    }

    [Fact]
    public async Task Merge_OfALogLargerThanFourTransactions_MovesAQuarterOfItEach()
    {
        await using var temp = new TempStore(
            o =>
            {
                o.MergeThreshold = 200;
                o.MergeChunkShards = 16;
            },
            StoppedClock());
        var shards = await PutAllAsync(temp.Store, new Random(12), 200, 64);
        // A flush waits for what was queued before it, not for a merge in progress; the writer runs one
        // merge transaction before each batch it takes, so each flush lets at least one more through.
        for (var i = 0; i < 8 && temp.Store.RecentCount > 0; i++)
        {
            await temp.Store.FlushAsync(Ct);
        }

        Assert.Equal(4, temp.Store.Merges);
        Assert.Equal(0, temp.Store.RecentCount);
        AssertAllServed(temp.Store, shards);
        Assert.Equal(shards.Select(s => s.Id).Order().ToList(), (await EnumerateAsync(temp.Store)).Select(i => i.Id).ToList());
    }

    [Fact]
    public async Task ExpiryCollection_ReadsThePartialExpiryIndexOfBothTables()
    {
        await using var temp = new TempStore(time: StoppedClock());
        await temp.CloseAsync();
        var text = temp.QueryPlan(Overlay.Storage.Sqlite.ShardTableWriter.ExpiredWithRecentSql);
        Assert.Contains("SEARCH shards USING COVERING INDEX shards_collectable", text);
        Assert.Contains("SEARCH recent_shards USING INDEX recent_collectable", text);
        Assert.DoesNotContain("SCAN recent_shards", text);
    }

    private static SqliteConnection OpenFile(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    // The tables as version 1 of the store created them, for the migration tests to start from.
    private const string SchemaOneTables = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE shard_data(rowid INTEGER PRIMARY KEY, data BLOB NOT NULL);
        CREATE TABLE shards(id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 32), data_id INTEGER NOT NULL, size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL, expires_at INTEGER, pinned INTEGER NOT NULL, last_verified INTEGER) WITHOUT ROWID;
        CREATE INDEX shards_collectable ON shards(expires_at) WHERE pinned = 0 AND expires_at IS NOT NULL;
        CREATE TABLE quarantine(id BLOB PRIMARY KEY NOT NULL, size INTEGER, stored_at INTEGER, detected_at INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE usage(id INTEGER PRIMARY KEY CHECK (id = 0), shard_count INTEGER NOT NULL, used_bytes INTEGER NOT NULL);
        """;

    [Fact]
    public async Task Open_OfASchemaOneStore_MigratesAndKeepsItsShards()
    {
        var directory = Path.Combine(Path.GetTempPath(), "overlay-storage-v1-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, SqliteShardStore.FileName);
        var data = TempStore.RandomBytes(new Random(5), 1000);
        var id = ShardId.Compute(data);
        try
        {
            using (var raw = OpenFile(path))
            {
                using var command = raw.CreateCommand();
                // The schema-1 layout, as version 1 of the store created it.
                command.CommandText = SchemaOneTables + """
                    INSERT INTO shard_data(rowid, data) VALUES (1, $data);
                    INSERT INTO shards VALUES ($id, 1, 1000, 1700000000000, NULL, 1, NULL);
                    INSERT INTO usage VALUES (0, 1, 1000);
                    PRAGMA application_id = 1331055699;
                    PRAGMA user_version = 1;
                    """;
                command.Parameters.AddWithValue("$data", data);
                command.Parameters.AddWithValue("$id", id.ToArray());
                command.ExecuteNonQuery();
            }

            var options = new StorageOptions { Directory = directory, ReaderCount = 1, MergeThreshold = 10 };
            var store = SqliteShardStore.Open(options);
            try
            {
                AssertAllServed(store, [(id, data)]);
                Assert.True(store.TryGetInfo(id, out var info) && info.Pinned);
                Assert.False((await store.PutAsync(data, cancellationToken: Ct)).Stored);
                var shards = await PutAllAsync(store, new Random(6), 25, 100);
                await store.FlushAsync(Ct);
                Assert.True(store.Merges >= 1);
                shards.Add((id, data));
                AssertAllServed(store, shards);
                Assert.Equal(26, store.GetUsage().ShardCount);
            }
            finally
            {
                await store.DisposeAsync();
            }

            using (var raw = OpenFile(path))
            {
                using var command = raw.CreateCommand();
                command.CommandText = "PRAGMA user_version";
                Assert.Equal((long)Overlay.Storage.Sqlite.Schema.CurrentVersion, command.ExecuteScalar());
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Open_OfASchemaThreeStore_NumbersTheLogByPayloadRowAndKeepsEverything()
    {
        // Schema 3 numbered log rows apart from their payload rows; schema 4 gives each log row its
        // payload's number, which reads rely on. Three logged shards (seq 2..4, payload rows 5, 9, 12)
        // and one merged one (payload row 2), the largest read through blob I/O.
        var directory = Path.Combine(Path.GetTempPath(), "overlay-storage-v3-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, SqliteShardStore.FileName);
        var random = new Random(24);
        var sizes = new[] { 1000, 200_000, 0, 3000 };
        var dataRows = new long[] { 5, 9, 12, 2 };
        var shards = new List<(ShardId Id, byte[] Data)>();
        try
        {
            using (var raw = OpenFile(path))
            {
                using var command = raw.CreateCommand();
                // The schema-3 layout: schema 1's tables, then the log and its expiry index.
                command.CommandText = SchemaOneTables + """
                    CREATE TABLE recent_shards(seq INTEGER PRIMARY KEY, id BLOB NOT NULL CHECK (length(id) = 32), data_id INTEGER NOT NULL,
                        size INTEGER NOT NULL, stored_at INTEGER NOT NULL, expires_at INTEGER, pinned INTEGER NOT NULL, last_verified INTEGER);
                    CREATE INDEX recent_collectable ON recent_shards(expires_at) WHERE pinned = 0 AND expires_at IS NOT NULL;
                    PRAGMA application_id = 1331055699;
                    PRAGMA user_version = 3;
                    """;
                command.ExecuteNonQuery();
                for (var i = 0; i < sizes.Length; i++)
                {
                    var data = TempStore.RandomBytes(random, sizes[i]);
                    var id = ShardId.Compute(data);
                    shards.Add((id, data));
                    command.Parameters.Clear();
                    command.Parameters.AddWithValue("$row", dataRows[i]);
                    command.Parameters.AddWithValue("$data", data);
                    command.Parameters.AddWithValue("$id", id.ToArray());
                    command.Parameters.AddWithValue("$size", data.Length);
                    command.Parameters.AddWithValue("$seq", i + 2);
                    command.CommandText = i < 3
                        ? "INSERT INTO shard_data(rowid, data) VALUES ($row, $data); INSERT INTO recent_shards VALUES ($seq, $id, $row, $size, 1700000000000, NULL, 0, 1700000000000)"
                        : "INSERT INTO shard_data(rowid, data) VALUES ($row, $data); INSERT INTO shards VALUES ($id, $row, $size, 1700000000000, NULL, 1, NULL)";
                    command.ExecuteNonQuery();
                }

                // Damage an older store version could leave: a log row (seq 1) whose payload row was lost
                // and whose number the first shard's payload got. The migration keeps the later row.
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$orphan", ShardId.Compute(TempStore.RandomBytes(random, 10)).ToArray());
                command.CommandText = "INSERT INTO recent_shards VALUES (1, $orphan, 5, 10, 1690000000000, NULL, 0, NULL)";
                command.ExecuteNonQuery();
                command.Parameters.Clear();
                command.CommandText = $"INSERT INTO usage VALUES (0, 4, {sizes.Sum()})";
                command.ExecuteNonQuery();
            }

            var options = new StorageOptions { Directory = directory, ReaderCount = 1 };
            var store = SqliteShardStore.Open(options);
            List<(ShardId Id, byte[] Data)> more;
            try
            {
                AssertAllServed(store, shards);
                // New puts take payload rows past the highest one, and their log rows the same numbers.
                more = await PutAllAsync(store, new Random(25), 20, 500);
                await store.FlushAsync(Ct);
                AssertAllServed(store, shards.Concat(more));
                Assert.True(await store.DeleteAsync(shards[0].Id, Ct));
                Assert.Equal(ShardReadStatus.NotFound, store.Read(shards[0].Id, new byte[1000]).Status);
                AssertAllServed(store, shards.Skip(1).Concat(more));
            }
            finally
            {
                await store.DisposeAsync();
            }

            using (var raw = OpenFile(path))
            {
                using var command = raw.CreateCommand();
                command.CommandText = "SELECT count(*) FROM recent_shards WHERE seq <> data_id";
                Assert.Equal(0L, command.ExecuteScalar());
                command.CommandText = "PRAGMA user_version";
                Assert.Equal((long)Overlay.Storage.Sqlite.Schema.CurrentVersion, command.ExecuteScalar());
            }

            // Reopened, with a merge of everything logged: still all there.
            store = SqliteShardStore.Open(new StorageOptions { Directory = directory, ReaderCount = 1, MergeThreshold = 1 });
            try
            {
                await PutAllAsync(store, new Random(26), 1, 10);
                await store.FlushAsync(Ct);
                Assert.True(store.Merges >= 1);
                AssertAllServed(store, shards.Skip(1).Concat(more));
            }
            finally
            {
                await store.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Reads_OfShardsWhosePutsAreInFlight_AreNeverTakenForDamage()
    {
        // Readers ask for ids just ahead of the puts: the in-memory log index names a shard before
        // its commit, so a read can start before the commit and finish after it. It may answer
        // NotFound or Found, never Corrupted, and must never quarantine (delete) the shard.
        await using var temp = new TempStore(o =>
        {
            o.ReaderCount = 4;
            o.WriteBatchSize = 64;
        });
        const int Total = 30_000;
        var random = new Random(27);
        var data = new byte[Total][];
        var ids = new ShardId[Total];
        for (var i = 0; i < Total; i++)
        {
            data[i] = TempStore.RandomBytes(random, 200);
            ids[i] = ShardId.Compute(data[i]);
        }

        using var corrupted = new CounterWatch(temp.Store.Meter, "overlay.storage.corrupted");
        var next = 0;
        var done = 0;
        var readers = new Task<int>[4];
        for (var r = 0; r < readers.Length; r++)
        {
            var seed = r;
            readers[r] = Task.Run(() =>
            {
                var local = new Random(seed);
                var buffer = new byte[200];
                var bad = 0;
                while (Volatile.Read(ref done) == 0)
                {
                    var i = Math.Min(Total - 1, Volatile.Read(ref next) + local.Next(128));
                    if (temp.Store.Read(ids[i], buffer).Status == ShardReadStatus.Corrupted)
                    {
                        bad++;
                    }
                }

                return bad;
            }, Ct);
        }

        var pending = new List<Task<PutResult>>(256);
        for (var i = 0; i < Total; i++)
        {
            pending.Add(temp.Store.PutAsync(data[i], cancellationToken: Ct).AsTask());
            Volatile.Write(ref next, i);
            if (pending.Count == pending.Capacity)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        Volatile.Write(ref done, 1);
        Assert.Equal(0, (await Task.WhenAll(readers)).Sum());
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(0, corrupted.Total);
        Assert.All(ids, id => Assert.True(temp.Store.Contains(id)));
    }

    [Fact]
    public async Task Readers_DuringManyMerges_NeverMissAnAcknowledgedShard()
    {
        // Small batches and a small threshold: a merge every few batches while two threads read.
        await using var temp = new TempStore(o =>
        {
            o.MergeThreshold = 48;
            o.MergeChunkShards = 16;
            o.WriteBatchSize = 16;
        });
        const int Total = 4000;
        var ids = new ShardId[Total];
        var sizes = new int[Total];
        var published = 0;
        var random = new Random(7);
        var writer = Task.Run(async () =>
        {
            var pending = new ValueTask<PutResult>[8];
            var lengths = new int[pending.Length];
            for (var start = 0; start < Total; start += pending.Length)
            {
                for (var i = 0; i < pending.Length; i++)
                {
                    lengths[i] = random.Next(1, 3000);
                    pending[i] = temp.Store.PutAsync(TempStore.RandomBytes(random, lengths[i]), cancellationToken: Ct);
                }

                for (var i = 0; i < pending.Length; i++)
                {
                    ids[start + i] = (await pending[i]).Id;
                    sizes[start + i] = lengths[i];
                }

                // Acknowledged: readers may look for these from now on.
                Volatile.Write(ref published, start + pending.Length);
            }
        }, Ct);

        var misses = 0;
        long reads = 0;
        void Read(int seed)
        {
            var local = new Random(seed);
            var buffer = new byte[3000];
            while (!writer.IsCompleted)
            {
                var n = Volatile.Read(ref published);
                if (n == 0)
                {
                    continue;
                }

                // Mostly the newest shards: those are the ones a merge is moving.
                var index = local.Next(2) == 0 ? n - 1 - local.Next(Math.Min(n, 64)) : local.Next(n);
                var read = temp.Store.Read(ids[index], buffer);
                if (read.Status != ShardReadStatus.Found || read.Length != sizes[index] || !temp.Store.Contains(ids[index]) || !temp.Store.TryGetInfo(ids[index], out _))
                {
                    Interlocked.Increment(ref misses);
                }

                Interlocked.Increment(ref reads);
            }
        }

        var readers = new[] { new Thread(() => Read(1)), new Thread(() => Read(2)) };
        foreach (var thread in readers)
        {
            thread.Start();
        }

        await writer.WaitAsync(TimeSpan.FromMinutes(2), Ct);
        foreach (var thread in readers)
        {
            thread.Join();
        }

        Assert.Equal(0, misses);
        Assert.True(reads > 0);
        Assert.True(temp.Store.Merges >= 60, $"Only {temp.Store.Merges} merge transactions ran.");
        Assert.Equal(Total, temp.Store.GetUsage().ShardCount);
        Assert.Equal(Total, (await EnumerateAsync(temp.Store)).Count);
    }

    [Fact]
    public async Task Quota_AcrossMerges_CountsEveryShardOnce()
    {
        const long Capacity = 10 * (1000 + StorageUsage.ShardOverheadBytes);
        await using var temp = new TempStore(o =>
        {
            o.CapacityBytes = Capacity;
            o.MergeThreshold = 4;
        });
        var random = new Random(8);
        var shards = await PutAllAsync(temp.Store, random, 10, 1000);
        await temp.Store.FlushAsync(Ct);
        Assert.True(temp.Store.Merges >= 2);
        Assert.True(temp.Store.RecentCount < 4);

        var refused = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(TempStore.RandomBytes(random, 1), cancellationToken: Ct));
        Assert.Equal(StorageErrorReason.QuotaExceeded, refused.Reason);
        // At a full quota a stored duplicate is still accepted, merged or logged.
        Assert.False((await temp.Store.PutAsync(shards[0].Data, cancellationToken: Ct)).Stored);
        Assert.False((await temp.Store.PutAsync(shards[9].Data, cancellationToken: Ct)).Stored);
        Assert.True(await temp.Store.DeleteAsync(shards[0].Id, Ct));
        Assert.True(await temp.Store.DeleteAsync(shards[9].Id, Ct));
        shards.RemoveAt(9);
        shards.RemoveAt(0);
        shards.AddRange(await PutAllAsync(temp.Store, random, 2, 1000));
        TempStore.AssertUsage(temp.Store, 10, 10_000, Capacity);

        await temp.ReopenAsync();
        TempStore.AssertUsage(temp.Store, 10, 10_000, Capacity);
        var listed = await EnumerateAsync(temp.Store);
        Assert.Equal(10, listed.Count);
        Assert.Equal(10_000, listed.Sum(i => (long)i.Size));
        AssertAllServed(temp.Store, shards);
    }
}
