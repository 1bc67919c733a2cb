// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using Overlay.Storage.Sqlite;

namespace Overlay.Storage.Tests;

/// <summary>
/// The writer's id filter lets a new shard skip the index look-up. It may only ever answer "not
/// stored" for ids that are not in the index, so every duplicate must still be recognised: before
/// the filter is built, after, across reopen, during merges and across rebuilds.
/// </summary>
public sealed class IdFilterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static ManualTimeProvider StoppedClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static async Task<List<byte[]>> PutNewAsync(SqliteShardStore store, Random random, int count)
    {
        var shards = new List<byte[]>(count);
        var pending = new ValueTask<PutResult>[count];
        for (var i = 0; i < count; i++)
        {
            shards.Add(TempStore.RandomBytes(random, 64));
            pending[i] = store.PutAsync(shards[i], cancellationToken: Ct);
        }

        for (var i = 0; i < count; i++)
        {
            Assert.True((await pending[i]).Stored);
        }

        return shards;
    }

    private static async Task AssertAllDuplicatesAsync(SqliteShardStore store, List<byte[]> shards)
    {
        var usage = store.GetUsage();
        var pending = new ValueTask<PutResult>[shards.Count];
        for (var i = 0; i < shards.Count; i++)
        {
            pending[i] = store.PutAsync(shards[i], cancellationToken: Ct);
        }

        for (var i = 0; i < shards.Count; i++)
        {
            Assert.False((await pending[i]).Stored);
        }

        Assert.Equal(usage.ShardCount, store.GetUsage().ShardCount);
        Assert.Equal(usage.UsedBytes, store.GetUsage().UsedBytes);
    }

    [Fact]
    public async Task Put_OfMergedShards_IsRecognisedAsDuplicate_WhileNewShardsSkipTheIndex()
    {
        await using var temp = new TempStore(o => o.MergeThreshold = 1, StoppedClock());
        var random = new Random(11);
        var stored = await PutNewAsync(temp.Store, random, 300);
        await temp.Store.IdFilterBuilt.WaitAsync(Guard, Ct);
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(0, temp.Store.RecentCount);

        var skippedBefore = temp.Store.IndexLookupsSkipped;
        var fresh = await PutNewAsync(temp.Store, random, 300);
        // At 16 bits per id nearly every new shard is answered by the filter; a few false positives may read the index.
        Assert.True(temp.Store.IndexLookupsSkipped - skippedBefore >= 250);

        await AssertAllDuplicatesAsync(temp.Store, stored);
        await AssertAllDuplicatesAsync(temp.Store, fresh);
        Assert.Equal(600, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task Reopen_WithShardsInIndexAndLog_RecognisesEveryDuplicate_BeforeAndAfterTheBuild()
    {
        await using var temp = new TempStore(o =>
        {
            o.MergeThreshold = 200;
            o.MergeOnClose = false;
        }, StoppedClock());
        var random = new Random(12);
        // 250: one merge of 200 into the index, 50 left in the log when the store closes.
        var stored = await PutNewAsync(temp.Store, random, 200);
        await temp.Store.FlushAsync(Ct);
        stored.AddRange(await PutNewAsync(temp.Store, random, 50));
        Assert.Equal(50, temp.Store.RecentCount);
        Assert.Equal(1, temp.Store.Merges);

        await temp.ReopenAsync();
        // Right after open the filter may still be scanning: the index answers meanwhile.
        await AssertAllDuplicatesAsync(temp.Store, stored);
        await temp.Store.IdFilterBuilt.WaitAsync(Guard, Ct);
        await temp.Store.FlushAsync(Ct);
        await AssertAllDuplicatesAsync(temp.Store, stored);
        Assert.Equal(250, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task Filter_OutgrownAndRebuiltDuringMerges_NeverLosesADuplicate()
    {
        // A filter sized for 64 ids is full after the first merges, so it is rebuilt (scanning the
        // index) while small batches keep merging into it.
        await using var temp = new TempStore(o =>
        {
            o.MergeThreshold = 32;
            o.MergeChunkShards = 16;
            o.WriteBatchSize = 16;
            o.IdFilterMinimumCapacity = 64;
        }, StoppedClock());
        var random = new Random(13);
        var all = new List<byte[]>();
        for (var round = 0; round < 12; round++)
        {
            all.AddRange(await PutNewAsync(temp.Store, random, 100));
            await AssertAllDuplicatesAsync(temp.Store, all);
        }

        Assert.True(temp.Store.Merges >= 12);
        Assert.True(temp.Store.IdFilterBuilds >= 2);
        Assert.Equal(1200, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task Put_AfterDeleteOfAMergedShard_IsStoredAgain()
    {
        await using var temp = new TempStore(o => o.MergeThreshold = 1, StoppedClock());
        var random = new Random(14);
        var stored = await PutNewAsync(temp.Store, random, 50);
        await temp.Store.IdFilterBuilt.WaitAsync(Guard, Ct);
        await temp.Store.FlushAsync(Ct);
        var id = ShardId.Compute(stored[0]);

        // The filter keeps the deleted id (a false positive); the index says it is gone.
        Assert.True(await temp.Store.DeleteAsync(id, Ct));
        Assert.True((await temp.Store.PutAsync(stored[0], cancellationToken: Ct)).Stored);
        Assert.False((await temp.Store.PutAsync(stored[0], cancellationToken: Ct)).Stored);
        Assert.Equal(50, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public void Filter_NeverForgetsAnAddedId_AndRejectsMostOthers()
    {
        var random = new Random(15);
        var filter = new ShardIdFilter(10_000, 64);
        var added = new ShardId[10_000];
        var bytes = new byte[ShardId.Size];
        for (var i = 0; i < added.Length; i++)
        {
            random.NextBytes(bytes);
            added[i] = ShardId.FromBytes(bytes);
            filter.Add(added[i]);
        }

        foreach (var id in added)
        {
            Assert.True(filter.MayContain(id));
        }

        var falsePositives = 0;
        for (var i = 0; i < 100_000; i++)
        {
            random.NextBytes(bytes);
            falsePositives += filter.MayContain(ShardId.FromBytes(bytes)) ? 1 : 0;
        }

        // Sized for 10,000 at 16 bits each (rounded up to a power of two): well under 2 %.
        Assert.InRange(falsePositives, 0, 2_000);
        Assert.True(filter.Capacity >= 10_000);
    }
}
