using Microsoft.Data.Sqlite;
using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class CorruptionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<(ShardId Id, byte[] Data)>> FillAsync(TempStore temp, int seed, params int[] sizes)
    {
        var random = new Random(seed);
        var shards = new List<(ShardId, byte[])>();
        foreach (var size in sizes)
        {
            var data = TempStore.RandomBytes(random, size);
            shards.Add(((await temp.Store.PutAsync(data, cancellationToken: Ct)).Id, data));
        }

        return shards;
    }

    private static SqliteConnection OpenRaw(TempStore temp)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long DataRowOf(SqliteConnection connection, ShardId id)
    {
        using var command = connection.CreateCommand();
        // New shards may still sit in the log of recent shards, not yet merged into the id index.
        command.CommandText = "SELECT data_id FROM shards WHERE id = $id UNION ALL SELECT data_id FROM recent_shards WHERE id = $id";
        command.Parameters.AddWithValue("$id", id.ToArray());
        return (long)command.ExecuteScalar()!;
    }

    private static void AssertServes(TempStore temp, (ShardId Id, byte[] Data) shard)
    {
        var buffer = new byte[shard.Data.Length];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, shard.Data.Length), temp.Store.Read(shard.Id, buffer));
        Assert.Equal(shard.Data, buffer);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Read_OfAShardWhosePayloadRowIsGone_IsUnreadableNotAbsent(bool merged)
    {
        // A logged shard is read through its payload row alone; when that row is lost, its log row
        // still says it is stored, so it must be reported and quarantined, not answered as unknown.
        await using var temp = new TempStore(o =>
        {
            o.MergeThreshold = merged ? 1 : 1_000_000;
            o.MergeOnClose = merged;
        });
        var shards = await FillAsync(temp, 23, 3000, 70_000, 4000);
        await temp.CloseAsync();
        using (var raw = OpenRaw(temp))
        {
            using var command = raw.CreateCommand();
            command.CommandText = "SELECT (SELECT count(*) FROM shards), (SELECT count(*) FROM recent_shards)";
            using (var counts = command.ExecuteReader())
            {
                Assert.True(counts.Read());
                Assert.Equal(merged ? 3 : 0, counts.GetInt64(0));
                Assert.Equal(merged ? 0 : 3, counts.GetInt64(1));
            }

            command.CommandText = $"DELETE FROM shard_data WHERE rowid IN ({DataRowOf(raw, shards[0].Id)}, {DataRowOf(raw, shards[1].Id)})";
            Assert.Equal(2, command.ExecuteNonQuery());
        }

        await temp.ReopenAsync();
        using var corrupted = new CounterWatch(temp.Store.Meter, "overlay.storage.corrupted");
        var buffer = new byte[70_000];
        Assert.True(temp.Store.Contains(shards[0].Id));
        Assert.Equal(new ShardReadResult(ShardReadStatus.Corrupted, 0), temp.Store.Read(shards[0].Id, buffer));
        Assert.Equal(new ShardReadResult(ShardReadStatus.Corrupted, 0), temp.Store.Read(shards[1].Id, buffer));
        Assert.Equal(2, corrupted.CountWithTag("reason", "unreadable"));
        AssertServes(temp, shards[2]);

        await temp.Store.FlushAsync(Ct);
        Assert.False(temp.Store.Contains(shards[0].Id));
        Assert.False(temp.Store.Contains(shards[1].Id));
        Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(shards[1].Id, buffer).Status);
        AssertServes(temp, shards[2]);
    }

    [Fact]
    public async Task Put_AfterTheHighestPayloadRowWasLost_NeverReusesItsNumber()
    {
        // The last shard's payload row is lost while its metadata row stays. A new shard given that row
        // number would be served under the lost shard's id (and fail its hash), and quarantining the
        // lost shard would then delete the new shard's payload.
        await using var temp = new TempStore(o => o.MergeThreshold = 1);
        var shards = await FillAsync(temp, 28, 3000, 4000);
        await temp.CloseAsync();
        using (var raw = OpenRaw(temp))
        {
            using var command = raw.CreateCommand();
            command.CommandText = "SELECT count(*) FROM shards";
            Assert.Equal(2L, command.ExecuteScalar());
            command.CommandText = $"DELETE FROM shard_data WHERE rowid = {DataRowOf(raw, shards[1].Id)}";
            Assert.Equal(1, command.ExecuteNonQuery());
            command.CommandText = "SELECT max(rowid) FROM shard_data";
            Assert.Equal(DataRowOf(raw, shards[0].Id), command.ExecuteScalar());
        }

        await temp.ReopenAsync();
        var added = await FillAsync(temp, 29, 5000);
        var buffer = new byte[5000];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Corrupted, 0), temp.Store.Read(shards[1].Id, buffer));
        await temp.Store.FlushAsync(Ct);
        Assert.False(temp.Store.Contains(shards[1].Id));
        AssertServes(temp, added[0]);
        AssertServes(temp, shards[0]);
        await temp.ReopenAsync();
        AssertServes(temp, added[0]);
    }

    [Fact]
    public async Task Read_AfterBytesFlippedInTheDatabaseFile_IsCorruptedAndScrubFindsIt()
    {
        await using var temp = new TempStore();
        var shards = await FillAsync(temp, 22, 30_000, 30_000, 30_000, 30_000);
        await temp.CloseAsync();

        // Find the victim's bytes in the file (disposal checkpointed the WAL into it) and flip one.
        var file = await File.ReadAllBytesAsync(temp.DatabasePath, Ct);
        var offset = file.AsSpan().IndexOf(shards[2].Data.AsSpan(20_000, 64));
        Assert.True(offset > 0);
        file[offset + 10] ^= 0x80;
        await File.WriteAllBytesAsync(temp.DatabasePath, file, Ct);

        await temp.ReopenAsync();
        Assert.Equal(ShardReadStatus.Corrupted, temp.Store.Read(shards[2].Id, new byte[30_000]).Status);
        AssertServes(temp, shards[0]);
        AssertServes(temp, shards[1]);
        AssertServes(temp, shards[3]);

        var report = await temp.Store.VerifyAllAsync(cancellationToken: Ct);
        // The read above may already have quarantined it; either way it is reported or gone.
        Assert.True(report.CorruptedIds.Contains(shards[2].Id) || !temp.Store.Contains(shards[2].Id));
        Assert.False(temp.Store.Contains(shards[2].Id));
        Assert.Equal(3, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task VerifyAll_AfterFlippingBytesInTheFileBeforeAnyRead_ListsTheShard()
    {
        await using var temp = new TempStore();
        var shards = await FillAsync(temp, 23, 10_000, 10_000, 10_000);
        await temp.CloseAsync();
        var file = await File.ReadAllBytesAsync(temp.DatabasePath, Ct);
        var offset = file.AsSpan().IndexOf(shards[1].Data.AsSpan(5000, 64));
        Assert.True(offset > 0);
        file[offset] ^= 0xFF;
        await File.WriteAllBytesAsync(temp.DatabasePath, file, Ct);
        await temp.ReopenAsync();

        var report = await temp.Store.VerifyAllAsync(cancellationToken: Ct);

        Assert.Equal([shards[1].Id], report.CorruptedIds);
        Assert.Equal(3, report.Checked);
        Assert.Equal(2, report.Ok);
        AssertServes(temp, shards[0]);
        AssertServes(temp, shards[2]);
    }

    [Fact]
    public async Task Read_WhenAnOverflowPageChainIsBroken_ReportsUnreadableAndKeepsServingOthers()
    {
        await using var temp = new TempStore();
        var shards = await FillAsync(temp, 24, 40_000, 40_000, 40_000);
        await temp.CloseAsync();

        // Point the overflow page holding part of the victim at a page far past the end of the
        // file: SQLite then reports SQLITE_CORRUPT for that row instead of returning bytes.
        var file = await File.ReadAllBytesAsync(temp.DatabasePath, Ct);
        var offset = file.AsSpan().IndexOf(shards[1].Data.AsSpan(20_000, 64));
        Assert.True(offset > 0);
        const int PageSize = 4096;
        var page = offset / PageSize * PageSize;
        file[page] = 0x7F;
        file[page + 1] = 0xFF;
        file[page + 2] = 0xFF;
        file[page + 3] = 0xF0;
        await File.WriteAllBytesAsync(temp.DatabasePath, file, Ct);
        await temp.ReopenAsync();
        using var corrupted = new CounterWatch(temp.Store.Meter, "overlay.storage.corrupted");

        Assert.Equal(ShardReadStatus.Corrupted, temp.Store.Read(shards[1].Id, new byte[40_000]).Status);
        Assert.Equal(1, corrupted.CountWithTag("reason", "unreadable"));
        AssertServes(temp, shards[0]);
        AssertServes(temp, shards[2]);

        var report = await temp.Store.VerifyAllAsync(cancellationToken: Ct);
        Assert.False(report.IsClean);
        Assert.NotEmpty(report.UnreadablePages);
        AssertServes(temp, shards[0]);
        AssertServes(temp, shards[2]);
    }
}
