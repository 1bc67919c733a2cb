using Microsoft.Data.Sqlite;

namespace Overlay.Storage.Tests;

/// <summary>
/// The log index keeps only the first 12 bytes of each id. Anyone may ask for an id that shares a
/// stored shard's prefix, and a shard whose id shares a logged shard's prefix must still be stored
/// and found by its own id; neither may reach, change or quarantine the other shard.
/// </summary>
public sealed class PrefixSharingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Everything stays in the log, across reopen too.
    private static void KeepInLog(StorageOptions options)
    {
        options.MergeThreshold = 1 << 20;
        options.MergeOnClose = false;
    }

    // The same first 12 bytes, different from there on.
    private static ShardId SharingPrefixOf(ShardId id, int variant)
    {
        var bytes = id.ToArray();
        bytes[12 + (variant % 20)] ^= (byte)(1 + (variant / 20));
        return ShardId.FromBytes(bytes);
    }

    private static long QuarantineRows(TempStore temp)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM quarantine";
        return (long)command.ExecuteScalar()!;
    }

    private static void AssertServes(TempStore temp, ShardId id, byte[] data)
    {
        var buffer = new byte[data.Length];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, data.Length), temp.Store.Read(id, buffer));
        Assert.Equal(data, buffer);
    }

    [Fact]
    public async Task IdsSharingALoggedShardsPrefix_AreNotFound_AndLeaveItAlone()
    {
        await using var temp = new TempStore(KeepInLog);
        var random = new Random(61);
        var data = TempStore.RandomBytes(random, 1500);
        var stored = (await temp.Store.PutAsync(data, cancellationToken: Ct)).Id;
        using var corrupted = new CounterWatch(temp.Store.Meter, "overlay.storage.corrupted");

        for (var variant = 0; variant < 40; variant++)
        {
            var other = SharingPrefixOf(stored, variant);
            Assert.Equal(new ShardReadResult(ShardReadStatus.NotFound, 0), temp.Store.Read(other, new byte[4096]));
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(other, writer).Status);
            Assert.Equal(0, writer.WrittenCount);
            Assert.False(temp.Store.Contains(other));
            Assert.False(temp.Store.TryGetInfo(other, out _));
            Assert.False(await temp.Store.SetPinnedAsync(other, true, Ct));
            Assert.False(await temp.Store.DeleteAsync(other, Ct));
        }

        await temp.Store.FlushAsync(Ct);
        Assert.Equal(0, corrupted.Total);
        AssertServes(temp, stored, data);
        Assert.True(temp.Store.TryGetInfo(stored, out var info));
        Assert.False(info.Pinned);
        Assert.Equal(1, temp.Store.GetUsage().ShardCount);
        await temp.CloseAsync();
        Assert.Equal(0, QuarantineRows(temp));
    }

    [Fact]
    public async Task AShardSharingALoggedShardsPrefix_IsStoredByItsOwnId_AndEachKeepsItsBytes()
    {
        await using var temp = new TempStore(KeepInLog);
        var random = new Random(62);
        var data = TempStore.RandomBytes(random, 1500);
        var logged = (await temp.Store.PutAsync(data, cancellationToken: Ct)).Id;
        // No content hashes to a chosen prefix, so the second shard is put under an id the caller
        // claims: its bytes do not hash to it, which only its reads can tell.
        var sharing = SharingPrefixOf(logged, 3);
        var otherData = TempStore.RandomBytes(random, 700);
        var put = await temp.Store.PutHashedAsync(sharing, new System.Buffers.ReadOnlySequence<byte>(otherData), default, Ct);
        Assert.True(put.Stored);
        Assert.Equal(1, temp.Store.RecentCount);

        Assert.True(temp.Store.Contains(sharing));
        Assert.True(temp.Store.TryGetInfo(sharing, out var info));
        Assert.Equal(700, info.Size);
        Assert.True(await temp.Store.SetPinnedAsync(sharing, true, Ct));
        Assert.True(temp.Store.TryGetInfo(sharing, out info) && info.Pinned);
        Assert.True(temp.Store.TryGetInfo(logged, out info) && !info.Pinned && info.Size == 1500);
        Assert.Equal(1500 + 700, temp.Store.GetUsage().UsedBytes);

        // A duplicate of either is recognised as such, whichever table holds it.
        Assert.False((await temp.Store.PutHashedAsync(sharing, new System.Buffers.ReadOnlySequence<byte>(otherData), default, Ct)).Stored);
        Assert.False((await temp.Store.PutAsync(data, cancellationToken: Ct)).Stored);

        var listed = new List<ShardInfo>();
        await foreach (var item in temp.Store.EnumerateAsync(Ct))
        {
            listed.Add(item);
        }

        Assert.Equal(logged < sharing ? [logged, sharing] : [sharing, logged], listed.ConvertAll(i => i.Id));

        // Across reopen, too: the logged one is loaded into the log index again.
        await temp.ReopenAsync();
        AssertServes(temp, logged, data);
        Assert.True(temp.Store.TryGetInfo(sharing, out info) && info.Size == 700);

        // The read of the claimed id reaches its own bytes (they do not hash to it) and quarantines
        // that shard alone.
        Assert.Equal(ShardReadStatus.Corrupted, temp.Store.Read(sharing, new byte[4096]).Status);
        await temp.Store.FlushAsync(Ct);
        Assert.False(temp.Store.Contains(sharing));
        AssertServes(temp, logged, data);
        Assert.Equal(1500, temp.Store.GetUsage().UsedBytes);
        await temp.CloseAsync();
        Assert.Equal(1, QuarantineRows(temp));
    }

    [Fact]
    public async Task DeletingAShardSharingALoggedShardsPrefix_LeavesTheLoggedOne()
    {
        await using var temp = new TempStore(KeepInLog);
        var random = new Random(63);
        var data = TempStore.RandomBytes(random, 900);
        var logged = (await temp.Store.PutAsync(data, cancellationToken: Ct)).Id;
        var sharing = SharingPrefixOf(logged, 25);
        Assert.True((await temp.Store.PutHashedAsync(sharing, new System.Buffers.ReadOnlySequence<byte>(TempStore.RandomBytes(random, 300)), default, Ct)).Stored);

        Assert.True(await temp.Store.DeleteAsync(sharing, Ct));
        Assert.False(temp.Store.Contains(sharing));
        AssertServes(temp, logged, data);

        // And the other way round: the logged one goes, a new shard of the prefix is logged again.
        Assert.True((await temp.Store.PutHashedAsync(sharing, new System.Buffers.ReadOnlySequence<byte>(TempStore.RandomBytes(random, 300)), default, Ct)).Stored);
        Assert.True(await temp.Store.DeleteAsync(logged, Ct));
        Assert.False(temp.Store.Contains(logged));
        Assert.True(temp.Store.Contains(sharing));
        Assert.Equal(0, temp.Store.RecentCount);
        Assert.True((await temp.Store.PutAsync(data, cancellationToken: Ct)).Stored);
        Assert.Equal(1, temp.Store.RecentCount);
        AssertServes(temp, logged, data);
        Assert.Equal(2, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task AFileWhoseLogHoldsTwoShardsOfOnePrefix_OpensWithBothFound()
    {
        await using var temp = new TempStore(KeepInLog);
        var random = new Random(64);
        var data = TempStore.RandomBytes(random, 800);
        var first = (await temp.Store.PutAsync(data, cancellationToken: Ct)).Id;
        await temp.CloseAsync();

        // Two log rows of one prefix, as a file written before the log index kept prefixes could hold.
        var second = SharingPrefixOf(first, 7);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO shard_data(rowid, data) SELECT max(rowid) + 1, randomblob(300) FROM shard_data;
                INSERT INTO recent_shards(seq, id, data_id, size, stored_at, pinned) SELECT max(rowid), $id, max(rowid), 300, 0, 0 FROM shard_data;
                UPDATE usage SET shard_count = shard_count + 1, used_bytes = used_bytes + 300, next_data_id = (SELECT max(rowid) + 1 FROM shard_data);
                """;
            command.Parameters.AddWithValue("$id", second.ToArray());
            command.ExecuteNonQuery();
        }

        await temp.ReopenAsync();
        Assert.Equal(1, temp.Store.RecentCount);
        AssertServes(temp, first, data);
        Assert.True(temp.Store.TryGetInfo(second, out var info) && info.Size == 300);
        Assert.Equal(2, temp.Store.GetUsage().ShardCount);
        var listed = new List<ShardId>();
        await foreach (var item in temp.Store.EnumerateAsync(Ct))
        {
            listed.Add(item.Id);
        }

        Assert.Equal(first < second ? [first, second] : [second, first], listed);
        Assert.True(await temp.Store.DeleteAsync(first, Ct));
        Assert.True(temp.Store.Contains(second));
    }
}
