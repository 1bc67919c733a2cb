using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Storage.Sqlite;

namespace Overlay.Storage.Tests;

public sealed class MigrationTests : IDisposable
{
    // The layout of schema version 1 as it was released: every payload in shard_data, data_id NOT NULL.
    private const string Version1Layout = """
        CREATE TABLE shard_data(
            rowid INTEGER PRIMARY KEY,
            data BLOB NOT NULL);
        CREATE TABLE shards(
            id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 32),
            data_id INTEGER NOT NULL,
            size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            expires_at INTEGER,
            pinned INTEGER NOT NULL,
            last_verified INTEGER) WITHOUT ROWID;
        CREATE INDEX shards_collectable ON shards(expires_at) WHERE pinned = 0 AND expires_at IS NOT NULL;
        CREATE TABLE quarantine(
            id BLOB PRIMARY KEY NOT NULL,
            size INTEGER,
            stored_at INTEGER,
            detected_at INTEGER NOT NULL,
            reason TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE usage(
            id INTEGER PRIMARY KEY CHECK (id = 0),
            shard_count INTEGER NOT NULL,
            used_bytes INTEGER NOT NULL);
        PRAGMA application_id = 1331055699;
        PRAGMA user_version = 1;
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "overlay-migration-" + Guid.NewGuid().ToString("N"));

    private StorageOptions Options => new() { Directory = _directory, ReaderCount = 2, MmapBytes = 16 << 20 };

    private string DatabasePath => Path.Combine(_directory, SqliteShardStore.FileName);

    /// <summary>Writes a version 1 store holding the given payloads; the one at <paramref name="pinnedIndex"/> is pinned with an expiry.</summary>
    private List<(ShardId Id, byte[] Data)> WriteVersion1(int[] sizes, int pinnedIndex)
    {
        Directory.CreateDirectory(_directory);
        var random = new Random(31);
        var shards = new List<(ShardId, byte[])>();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using (var layout = connection.CreateCommand())
        {
            layout.CommandText = "PRAGMA journal_mode = WAL;" + Version1Layout;
            layout.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction();
        long total = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            var data = TempStore.RandomBytes(random, sizes[i]);
            var digest = new byte[ShardId.Size];
            Blake3.Hash(data, digest);
            var id = ShardId.FromBytes(digest);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO shard_data(data) VALUES ($data);
                INSERT INTO shards(id, data_id, size, stored_at, expires_at, pinned, last_verified)
                VALUES ($id, last_insert_rowid(), $size, 1700000000000, $expires, $pinned, NULL);
                """;
            insert.Parameters.AddWithValue("$data", data);
            insert.Parameters.AddWithValue("$id", id.ToArray());
            insert.Parameters.AddWithValue("$size", data.Length);
            insert.Parameters.AddWithValue("$expires", i == pinnedIndex ? 1800000000000L : DBNull.Value);
            insert.Parameters.AddWithValue("$pinned", i == pinnedIndex ? 1 : 0);
            insert.ExecuteNonQuery();
            shards.Add((id, data));
            total += data.Length;
        }

        using (var usage = connection.CreateCommand())
        {
            usage.Transaction = transaction;
            usage.CommandText = "INSERT INTO usage(id, shard_count, used_bytes) VALUES (0, $count, $bytes)";
            usage.Parameters.AddWithValue("$count", sizes.Length);
            usage.Parameters.AddWithValue("$bytes", total);
            usage.ExecuteNonQuery();
        }

        transaction.Commit();
        return shards;
    }

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Open_OfVersion1Store_MigratesAndEveryShardStillReadsAndVerifies()
    {
        int[] sizes = [0, 10, 1000, 2048, 2049, 70_000, 300_000];
        var shards = WriteVersion1(sizes, pinnedIndex: 2);

        await using (var store = SqliteShardStore.Open(Options))
        {
            var usage = store.GetUsage();
            Assert.Equal(sizes.Length, usage.ShardCount);
            Assert.Equal(sizes.Sum(), usage.UsedBytes);
            foreach (var (id, data) in shards)
            {
                var buffer = new byte[data.Length];
                Assert.Equal(new ShardReadResult(ShardReadStatus.Found, data.Length), store.Read(id, buffer));
                Assert.Equal(data, buffer);
            }

            Assert.True(store.TryGetInfo(shards[2].Id, out var pinned));
            Assert.True(pinned.Pinned);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1800000000000), pinned.ExpiresAt);

            var report = await store.VerifyAllAsync(cancellationToken: Ct);
            Assert.True(report.IsClean);
            Assert.Equal(sizes.Length, report.Checked);

            // Old out-of-line payloads are deleted with their rows; new small puts go inline.
            Assert.True(await store.DeleteAsync(shards[1].Id, Ct));
            var added = TempStore.RandomBytes(new Random(32), 500);
            var put = await store.PutAsync(added, cancellationToken: Ct);
            Assert.True(put.Stored);
            Assert.Equal(ShardReadStatus.Found, store.Read(put.Id, new byte[500]).Status);
        }

        Assert.Equal(2, Scalar("PRAGMA user_version"));
        Assert.Equal(sizes.Length - 1, Scalar("SELECT count(*) FROM shard_data"));
        Assert.Equal(1, Scalar("SELECT count(*) FROM shards WHERE data IS NOT NULL"));
        Assert.Equal("ok", QuickCheck());

        // Opening again neither migrates twice nor loses anything.
        await using (var store = SqliteShardStore.Open(Options))
        {
            Assert.Equal(sizes.Length, store.GetUsage().ShardCount);
            Assert.True((await store.VerifyAllAsync(cancellationToken: Ct)).IsClean);
        }
    }

    [Fact]
    public async Task Put_OfSmallAndLargeShards_StoresSmallInlineAndLargeOutOfLine()
    {
        var random = new Random(33);
        var small = TempStore.RandomBytes(random, Schema.InlineShardLimit);
        var large = TempStore.RandomBytes(random, Schema.InlineShardLimit + 1);
        await using (var store = SqliteShardStore.Open(Options))
        {
            await store.PutAsync(small, cancellationToken: Ct);
            await store.PutAsync(large, cancellationToken: Ct);
            await store.PutAsync(ReadOnlyMemory<byte>.Empty, cancellationToken: Ct);
        }

        Assert.Equal(2, Scalar("SELECT count(*) FROM shards WHERE data_id IS NULL AND data IS NOT NULL"));
        Assert.Equal(1, Scalar("SELECT count(*) FROM shards WHERE data_id IS NOT NULL AND data IS NULL"));
        Assert.Equal(1, Scalar("SELECT count(*) FROM shard_data"));
    }

    private string QuickCheck()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check";
        return (string)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
