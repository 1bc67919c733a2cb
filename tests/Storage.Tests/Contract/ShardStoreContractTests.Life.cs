using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

// Expiry, renewal, pins, collection and the verification times reads record.
public abstract partial class ShardStoreContractTests
{
    [Fact]
    public async Task CollectExpired_DeletesOnlyExpiredUnpinnedShardsInBatches()
    {
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(time: clock);
        var random = new Random(11);
        var expired = new List<ShardId>();
        var pinned = (await s.Store.PutAsync(RandomBytes(random, 10), new ShardPutOptions(Start.AddMinutes(1), Pinned: true), Ct)).Id;
        var future = (await s.Store.PutAsync(RandomBytes(random, 10), new ShardPutOptions(Start.AddHours(2)), Ct)).Id;
        var forever = (await s.Store.PutAsync(RandomBytes(random, 10), cancellationToken: Ct)).Id;
        for (var i = 0; i < 25; i++)
        {
            expired.Add((await s.Store.PutAsync(RandomBytes(random, 10), new ShardPutOptions(Start.AddMinutes(1)), Ct)).Id);
        }

        using var collected = new CounterWatch(s.Meter, "overlay.storage.collected");
        Assert.Equal(new ExpirySweep(0, 0), await s.Administration.CollectExpiredAsync(Start, 10, Ct));
        // Expired means at or before the instant.
        var at = Start.AddMinutes(1);
        Assert.Equal(new ExpirySweep(10, 0), await s.Administration.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(new ExpirySweep(10, 0), await s.Administration.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(new ExpirySweep(5, 0), await s.Administration.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(new ExpirySweep(0, 0), await s.Administration.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(25, collected.Total);

        Assert.All(expired, id => Assert.False(s.Store.Contains(id)));
        Assert.True(s.Store.Contains(pinned));
        Assert.True(s.Store.Contains(future));
        Assert.True(s.Store.Contains(forever));
        AssertUsage(s.Store, 3, 30, s.Options.CapacityBytes);

        Assert.True(await s.Store.SetPinnedAsync(pinned, false, Ct));
        Assert.Equal(new ExpirySweep(1, 0), await s.Administration.CollectExpiredAsync(at, 10, Ct));
        Assert.False(s.Store.Contains(pinned));
        Assert.False(await s.Store.SetPinnedAsync(pinned, true, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await s.Administration.CollectExpiredAsync(at, 0, Ct));
    }

    [Fact]
    public async Task ExpiredShardCollector_OnEachIntervalOfTheInjectedClock_CollectsExpiredShards()
    {
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(o =>
        {
            o.CollectInterval = TimeSpan.FromMinutes(1);
            o.CollectBatchSize = 4;
        }, clock);
        var random = new Random(12);
        for (var i = 0; i < 10; i++)
        {
            await s.Store.PutAsync(RandomBytes(random, 10), new ShardPutOptions(Start.AddSeconds(30)), Ct);
        }

        using var collected = new CounterWatch(s.Meter, "overlay.storage.collected");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = ExpiredShardCollector.RunAsync(s.Administration, s.Options, clock, stop.Token);

        // One tick before the interval: nothing has run yet.
        clock.Advance(TimeSpan.FromSeconds(59));
        await s.Administration.FlushAsync(Ct);
        Assert.Equal(10, s.Store.GetUsage().ShardCount);

        // The tick: the loop deletes in batches of 4 until a short batch (4 + 4 + 2).
        clock.Advance(TimeSpan.FromSeconds(1));
        await collected.WaitForTotalAsync(10).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(0, s.Store.GetUsage().ShardCount);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task Renew_ExtendsTheLifeButNeverShortensIt_AndAnUnknownShardIsFalse()
    {
        await using var s = Open(time: new ManualTimeProvider(Start));
        var random = new Random(13);
        var id = (await s.Store.PutAsync(RandomBytes(random, 100), new ShardPutOptions(Start.AddHours(1)), Ct)).Id;

        Assert.True(await s.Store.RenewAsync(id, Start.AddHours(3), cancellationToken: Ct));
        Assert.True(s.Store.TryGetInfo(id, out var info));
        Assert.Equal(Start.AddHours(3), info.ExpiresAt);

        // An earlier time keeps the later one.
        Assert.True(await s.Store.RenewAsync(id, Start.AddHours(2), cancellationToken: Ct));
        Assert.True(s.Store.TryGetInfo(id, out info));
        Assert.Equal(Start.AddHours(3), info.ExpiresAt);

        // Renewed, it outlives its first expiry; unrenewed shards do not.
        var unrenewed = (await s.Store.PutAsync(RandomBytes(random, 100), new ShardPutOptions(Start.AddHours(1)), Ct)).Id;
        Assert.Equal(new ExpirySweep(1, 0), await s.Administration.CollectExpiredAsync(Start.AddHours(2), 10, Ct));
        Assert.False(s.Store.Contains(unrenewed));
        Assert.True(s.Store.Contains(id));

        Assert.True(await s.Store.RenewAsync(id, null, cancellationToken: Ct));
        Assert.True(s.Store.TryGetInfo(id, out info));
        Assert.Null(info.ExpiresAt);
        Assert.False(info.Pinned);
        Assert.False(await s.Store.RenewAsync(unrenewed, Start.AddDays(1), cancellationToken: Ct));
        Assert.False(s.Store.Contains(unrenewed));

        await s.ReopenAsync();
        Assert.True(s.Store.TryGetInfo(id, out info));
        Assert.Null(info.ExpiresAt);
    }

    [Fact]
    public async Task Reads_RecordLastVerified_AtMostEveryTenMinutes()
    {
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(time: clock);
        var put = await s.Store.PutAsync(new byte[] { 1, 2, 3 }, cancellationToken: Ct);
        Assert.True(s.Store.TryGetInfo(put.Id, out var info));
        Assert.Equal(Start, info.LastVerifiedAt);

        async Task<DateTimeOffset?> ReadAndRecordAsync()
        {
            Assert.Equal(ShardReadStatus.Found, s.Store.Read(put.Id, new byte[3]).Status);
            // The second barrier commits after the bookkeeping the read queued was written by the idle writer.
            await s.Administration.FlushAsync(Ct);
            await s.Administration.FlushAsync(Ct);
            Assert.True(s.Store.TryGetInfo(put.Id, out var read));
            return read.LastVerifiedAt;
        }

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(clock.GetUtcNow(), await ReadAndRecordAsync());
        var recorded = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(recorded, await ReadAndRecordAsync());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(clock.GetUtcNow(), await ReadAndRecordAsync());
    }
}
