using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Storage.Tests;

/// <summary>What only the SQLite store has: its file, a full disk, and holds kept in a table of their own.</summary>
public sealed class SqliteShardStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly PeerId Owner = PeerId.Random(new Random(900));

    [Fact]
    public async Task Put_Oversized_NamesTheDatabaseFile()
    {
        await using var temp = new TempStore(o => o.MaxShardBytes = 4096);

        var refused = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(new byte[4097], cancellationToken: Ct));

        Assert.Equal(StorageErrorReason.ShardTooLarge, refused.Reason);
        Assert.Contains(temp.DatabasePath, refused.Message, StringComparison.Ordinal);
        Assert.Equal(temp.DatabasePath, refused.FilePath);
    }

    [Fact]
    public async Task Put_WhenDiskIsFull_FailsWithDiskFullAndKeepsEverythingAcknowledged()
    {
        // max_page_count makes SQLite answer exactly as it does on a full file system (SQLITE_FULL).
        await using var temp = new TempStore(o => o.MaxPageCount = 200);
        var random = new Random(9);
        var acknowledged = new List<(ShardId Id, byte[] Data)>();
        StorageException? full = null;
        for (var i = 0; i < 200 && full is null; i++)
        {
            var data = TempStore.RandomBytes(random, 20_000);
            try
            {
                acknowledged.Add(((await temp.Store.PutAsync(data, new ShardPutOptions(Owner: Owner), Ct)).Id, data));
            }
            catch (StorageException e)
            {
                full = e;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(StorageErrorReason.DiskFull, full.Reason);
        Assert.Contains(temp.DatabasePath, full.Message, StringComparison.Ordinal);
        Assert.NotEmpty(acknowledged);
        Assert.Equal(acknowledged.Count, temp.Store.GetUsage().ShardCount);
        // The failed put's hold was rolled back with it: the owner is charged for what was acknowledged.
        Assert.Equal(new OwnerUsage(acknowledged.Count, acknowledged.Count * 20_000L), temp.Store.GetOwnerUsage(Owner));

        // Small puts and deletes still work; freeing space lets a large one in again.
        Assert.True(await temp.Store.DeleteAsync(acknowledged[0].Id, Ct));
        acknowledged.RemoveAt(0);
        await temp.Store.PutAsync(TempStore.RandomBytes(random, 100), cancellationToken: Ct);

        await temp.ReopenAsync();
        foreach (var (id, data) in acknowledged)
        {
            var buffer = new byte[data.Length];
            Assert.Equal(ShardReadStatus.Found, temp.Store.Read(id, buffer).Status);
            Assert.Equal(data, buffer);
        }

        Assert.Equal(new OwnerUsage(acknowledged.Count, acknowledged.Count * 20_000L), temp.Store.GetOwnerUsage(Owner));
        var report = await temp.Store.VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsClean, report.ToString());
        Assert.Equal(acknowledged.Count + 1, report.Checked);
    }

    [Fact]
    public async Task Open_OfASchemaFiveStore_AddsTheHoldsTableAndKeepsItsShards()
    {
        await using var temp = new TempStore();
        var random = new Random(901);
        var data = TempStore.RandomBytes(random, 5000);
        var id = (await temp.Store.PutAsync(data, new ShardPutOptions(Pinned: true), Ct)).Id;
        await temp.CloseAsync();
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString()))
        {
            // Back to schema 5: no holds table.
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "DROP TABLE holds; PRAGMA user_version = 5;";
            command.ExecuteNonQuery();
        }

        await temp.ReopenAsync();

        var buffer = new byte[5000];
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(id, buffer).Status);
        Assert.Equal(data, buffer);
        Assert.Equal(default, temp.Store.GetOwnerUsage(Owner));
        Assert.False((await temp.Store.PutAsync(data, new ShardPutOptions(Owner: Owner), Ct)).Stored);
        Assert.Equal(new OwnerUsage(1, 5000), temp.Store.GetOwnerUsage(Owner));
        await temp.CloseAsync();
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString()))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM holds)";
            using var row = command.ExecuteReader();
            Assert.True(row.Read());
            Assert.Equal((6L, 1L), (row.GetInt64(0), row.GetInt64(1)));
        }
    }

    [Fact]
    public async Task HoldRelease_ReadsThePartialIndexOfExpiringHolds()
    {
        await using var temp = new TempStore();
        await temp.CloseAsync();
        var text = temp.QueryPlan(Overlay.Storage.Sqlite.HoldTable.ReleaseExpiredSql);
        Assert.Contains("holds_expiring", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN holds", text, StringComparison.Ordinal);
    }
}
