using System.Buffers;
using System.IO.Pipelines;
using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class ShardStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(64 * 1024)]
    [InlineData(64 * 1024 + 1)]
    [InlineData(1024 * 1024)]
    public async Task Put_ThenRead_ReturnsTheSameBytesUnderTheirHash(int size)
    {
        await using var temp = new TempStore();
        var data = TempStore.RandomBytes(new Random(size), size);

        var put = await temp.Store.PutAsync(data, cancellationToken: Ct);

        Assert.True(put.Stored);
        Assert.Equal(ShardId.Compute(data), put.Id);
        var buffer = new byte[size + 10];
        var read = temp.Store.Read(put.Id, buffer);
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, size), read);
        Assert.Equal(data, buffer[..size]);
        Assert.True(temp.Store.Contains(put.Id));
    }

    [Fact]
    public async Task Put_SameContentTwice_IsIdempotentAndKeepsLongerLifeAndPin()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var temp = new TempStore(time: clock);
        var data = TempStore.RandomBytes(new Random(3), 500);
        var soon = clock.GetUtcNow().AddHours(1);
        var later = clock.GetUtcNow().AddHours(5);

        var first = await temp.Store.PutAsync(data, new ShardPutOptions(later), Ct);
        var second = await temp.Store.PutAsync(data, new ShardPutOptions(soon, Pinned: true), Ct);

        Assert.True(first.Stored);
        Assert.False(second.Stored);
        Assert.Equal(first.Id, second.Id);
        Assert.True(temp.Store.TryGetInfo(first.Id, out var info));
        Assert.Equal(later, info.ExpiresAt);
        Assert.True(info.Pinned);
        Assert.Equal(500, info.Size);
        Assert.Equal(clock.GetUtcNow(), info.StoredAt);
        TempStore.AssertUsage(temp.Store, 1, 500, temp.Options.CapacityBytes);
    }

    [Fact]
    public async Task Read_IntoSmallDestination_ReportsNeededLengthAndWritesNothing()
    {
        await using var temp = new TempStore();
        var put = await temp.Store.PutAsync(new byte[] { 1, 2, 3, 4, 5 }, cancellationToken: Ct);
        var buffer = new byte[4];

        Assert.Equal(new ShardReadResult(ShardReadStatus.DestinationTooSmall, 5), temp.Store.Read(put.Id, buffer));
        Assert.Equal(new byte[4], buffer);
        Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(ShardId.Compute([9]), buffer).Status);
    }

    [Fact]
    public async Task Read_IntoPipeWriterAndStream_DeliversVerifiedBytes()
    {
        await using var temp = new TempStore();
        var data = TempStore.RandomBytes(new Random(4), 300_000);
        var put = await temp.Store.PutAsync(data, cancellationToken: Ct);

        var pipe = new Pipe();
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(put.Id, pipe.Writer).Status);
        await pipe.Writer.CompleteAsync();
        var fromPipe = await pipe.Reader.ReadAtLeastAsync(data.Length + 1, Ct);
        Assert.Equal(data, fromPipe.Buffer.ToArray());

        using var stream = new MemoryStream();
        Assert.Equal(ShardReadStatus.Found, (await temp.Store.ReadAsync(put.Id, stream, Ct)).Status);
        Assert.Equal(data, stream.ToArray());

        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(ShardId.Compute([1]), writer).Status);
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public async Task Put_FromStreamAndMultiSegmentSequence_StoresTheJoinedBytes()
    {
        await using var temp = new TempStore();
        var data = TempStore.RandomBytes(new Random(5), 200_000);

        var fromStream = await temp.Store.PutAsync(new MemoryStream(data), cancellationToken: Ct);
        Assert.Equal(ShardId.Compute(data), fromStream.Id);

        var other = TempStore.RandomBytes(new Random(6), 150_000);
        var sequence = Segments.Of(other, 3);
        var fromSequence = await temp.Store.PutAsync(sequence, cancellationToken: Ct);
        Assert.Equal(ShardId.Compute(other), fromSequence.Id);
        var buffer = new byte[other.Length];
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(fromSequence.Id, buffer).Status);
        Assert.Equal(other, buffer);
    }

    [Fact]
    public async Task Put_Oversized_IsRefusedWithTypedErrorAndNothingWritten()
    {
        await using var temp = new TempStore(o => o.MaxShardBytes = 4096);

        var fromMemory = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(new byte[4097], cancellationToken: Ct));
        var fromStream = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(new MemoryStream(new byte[100_000]), cancellationToken: Ct));

        Assert.Equal(StorageErrorReason.ShardTooLarge, fromMemory.Reason);
        Assert.Equal(StorageErrorReason.ShardTooLarge, fromStream.Reason);
        Assert.Contains(temp.DatabasePath, fromMemory.Message);
        Assert.Equal(0, temp.Store.GetUsage().ShardCount);
        Assert.True((await temp.Store.PutAsync(new byte[4096], cancellationToken: Ct)).Stored);
    }

    [Fact]
    public async Task Put_BeyondQuota_IsRefusedAndEarlierShardsStay()
    {
        // Four shards' charges on top of 10,000 payload bytes.
        const long Capacity = 10_000 + (4 * StorageUsage.ShardOverheadBytes);
        await using var temp = new TempStore(o => o.CapacityBytes = Capacity);
        var random = new Random(7);
        var kept = new List<(ShardId Id, byte[] Data)>();
        for (var i = 0; i < 3; i++)
        {
            var data = TempStore.RandomBytes(random, 3000);
            kept.Add(((await temp.Store.PutAsync(data, cancellationToken: Ct)).Id, data));
        }

        var refused = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(TempStore.RandomBytes(random, 1001), cancellationToken: Ct));

        Assert.Equal(StorageErrorReason.QuotaExceeded, refused.Reason);
        Assert.Equal(9000, temp.Store.GetUsage().UsedBytes);
        Assert.Equal(3, temp.Store.GetUsage().ShardCount);
        // Exactly up to the quota still fits; a delete frees room again.
        await temp.Store.PutAsync(TempStore.RandomBytes(random, 1000), cancellationToken: Ct);
        Assert.True(await temp.Store.DeleteAsync(kept[0].Id, Ct));
        Assert.False(await temp.Store.DeleteAsync(kept[0].Id, Ct));
        await temp.Store.PutAsync(TempStore.RandomBytes(random, 3000), cancellationToken: Ct);
        foreach (var (id, data) in kept.Skip(1))
        {
            var buffer = new byte[data.Length];
            Assert.Equal(ShardReadStatus.Found, temp.Store.Read(id, buffer).Status);
            Assert.Equal(data, buffer);
        }

        await temp.ReopenAsync();
        TempStore.AssertUsage(temp.Store, 4, 10_000, Capacity);
        Assert.Equal(Capacity, temp.Store.GetUsage().ChargedBytes);
        Assert.Equal(0, temp.Store.GetUsage().FreeBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(4096)]
    public async Task Quota_ChargesEachShardItsOverhead_SoTinyShardsCannotOutgrowIt(int size)
    {
        const int Shards = 10;
        var capacity = Shards * (size + (long)StorageUsage.ShardOverheadBytes);
        await using var temp = new TempStore(o => o.CapacityBytes = capacity);
        var random = new Random(size);
        var ids = new List<ShardId>();
        for (var i = 0; i < Shards; i++)
        {
            ids.Add((await temp.Store.PutAsync(TempStore.RandomBytes(random, size), cancellationToken: Ct)).Id);
        }

        // The payload alone is far below the quota; the charges fill it.
        var refused = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(TempStore.RandomBytes(random, 1), cancellationToken: Ct));
        Assert.Equal(StorageErrorReason.QuotaExceeded, refused.Reason);
        Assert.Contains($"charged {1 + StorageUsage.ShardOverheadBytes}", refused.Message, StringComparison.Ordinal);
        var usage = temp.Store.GetUsage();
        Assert.Equal((Shards, Shards * (long)size, capacity, 0L), (usage.ShardCount, usage.UsedBytes, usage.ChargedBytes, usage.FreeBytes));

        // A delete gives back the shard's whole charge, also after a reopen.
        Assert.True(await temp.Store.DeleteAsync(ids[0], Ct));
        await temp.ReopenAsync();
        Assert.Equal(size + StorageUsage.ShardOverheadBytes, temp.Store.GetUsage().FreeBytes);
        await temp.Store.PutAsync(TempStore.RandomBytes(random, size), cancellationToken: Ct);
        Assert.Equal(0, temp.Store.GetUsage().FreeBytes);
    }

    [Fact]
    public async Task Put_InBatchWhereSomeExceedQuota_OnlyThoseAreRefused()
    {
        await using var temp = new TempStore(o => o.CapacityBytes = 50 * (1000 + StorageUsage.ShardOverheadBytes));
        var random = new Random(8);
        var puts = new List<Task<PutResult>>();
        for (var i = 0; i < 80; i++)
        {
            puts.Add(temp.Store.PutAsync(TempStore.RandomBytes(random, 1000), cancellationToken: Ct).AsTask());
        }

        var stored = 0;
        var refused = 0;
        foreach (var put in puts)
        {
            try
            {
                await put;
                stored++;
            }
            catch (StorageException e) when (e.Reason == StorageErrorReason.QuotaExceeded)
            {
                refused++;
            }
        }

        Assert.Equal(50, stored);
        Assert.Equal(30, refused);
        Assert.Equal(50_000, temp.Store.GetUsage().UsedBytes);
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
                acknowledged.Add(((await temp.Store.PutAsync(data, cancellationToken: Ct)).Id, data));
            }
            catch (StorageException e)
            {
                full = e;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(StorageErrorReason.DiskFull, full.Reason);
        Assert.Contains(temp.DatabasePath, full.Message);
        Assert.NotEmpty(acknowledged);
        Assert.Equal(acknowledged.Count, temp.Store.GetUsage().ShardCount);

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

        var report = await temp.Store.VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsClean, report.ToString());
        Assert.Equal(acknowledged.Count + 1, report.Checked);
    }

    [Fact]
    public async Task Enumerate_ListsEveryShardInIdOrderWithMetadata()
    {
        await using var temp = new TempStore();
        var random = new Random(10);
        var ids = new List<ShardId>();
        for (var i = 0; i < 1200; i++)
        {
            ids.Add((await temp.Store.PutAsync(TempStore.RandomBytes(random, 16 + (i % 50)), new ShardPutOptions(Pinned: i % 2 == 0), Ct)).Id);
        }

        var listed = new List<ShardInfo>();
        await foreach (var info in temp.Store.EnumerateAsync(Ct))
        {
            listed.Add(info);
        }

        ids.Sort();
        Assert.Equal(ids, listed.Select(i => i.Id).ToList());
        Assert.Equal(temp.Store.GetUsage().UsedBytes, listed.Sum(i => (long)i.Size));
        Assert.Equal(600, listed.Count(i => i.Pinned));
    }

    [Fact]
    public async Task CollectExpired_DeletesOnlyExpiredUnpinnedShardsInBatches()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var temp = new TempStore(time: clock);
        var random = new Random(11);
        var now = clock.GetUtcNow();
        var expired = new List<ShardId>();
        var pinned = (await temp.Store.PutAsync(TempStore.RandomBytes(random, 10), new ShardPutOptions(now.AddMinutes(1), Pinned: true), Ct)).Id;
        var future = (await temp.Store.PutAsync(TempStore.RandomBytes(random, 10), new ShardPutOptions(now.AddHours(2)), Ct)).Id;
        var forever = (await temp.Store.PutAsync(TempStore.RandomBytes(random, 10), cancellationToken: Ct)).Id;
        for (var i = 0; i < 25; i++)
        {
            expired.Add((await temp.Store.PutAsync(TempStore.RandomBytes(random, 10), new ShardPutOptions(now.AddMinutes(1)), Ct)).Id);
        }

        Assert.Equal(0, await temp.Store.CollectExpiredAsync(now, 10, Ct));
        var at = now.AddMinutes(1);
        Assert.Equal(10, await temp.Store.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(10, await temp.Store.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(5, await temp.Store.CollectExpiredAsync(at, 10, Ct));
        Assert.Equal(0, await temp.Store.CollectExpiredAsync(at, 10, Ct));

        Assert.All(expired, id => Assert.False(temp.Store.Contains(id)));
        Assert.True(temp.Store.Contains(pinned));
        Assert.True(temp.Store.Contains(future));
        Assert.True(temp.Store.Contains(forever));
        TempStore.AssertUsage(temp.Store, 3, 30, temp.Options.CapacityBytes);

        Assert.True(await temp.Store.SetPinnedAsync(pinned, false, Ct));
        Assert.Equal(1, await temp.Store.CollectExpiredAsync(at, 10, Ct));
        Assert.False(temp.Store.Contains(pinned));
        Assert.False(await temp.Store.SetPinnedAsync(pinned, true, Ct));
    }

    [Fact]
    public async Task RunCollector_OnEachIntervalOfTheInjectedClock_CollectsExpiredShards()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var temp = new TempStore(o =>
        {
            o.CollectInterval = TimeSpan.FromMinutes(1);
            o.CollectBatchSize = 4;
        }, clock);
        var random = new Random(12);
        var now = clock.GetUtcNow();
        for (var i = 0; i < 10; i++)
        {
            await temp.Store.PutAsync(TempStore.RandomBytes(random, 10), new ShardPutOptions(now.AddSeconds(30)), Ct);
        }

        var collected = new CounterWatch(temp.Store.Meter, "overlay.storage.collected");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = temp.Store.RunCollectorAsync(stop.Token);

        // One tick before the interval: nothing has run yet.
        clock.Advance(TimeSpan.FromSeconds(59));
        await temp.Store.FlushAsync(Ct);
        Assert.Equal(10, temp.Store.GetUsage().ShardCount);

        // The tick: the loop deletes in batches of 4 until a short batch (4 + 4 + 2).
        clock.Advance(TimeSpan.FromSeconds(1));
        await collected.WaitForTotalAsync(10).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(0, temp.Store.GetUsage().ShardCount);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        collected.Dispose();
    }

    [Fact]
    public async Task Reads_RecordLastVerifiedOffTheReadPath()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var temp = new TempStore(time: clock);
        var put = await temp.Store.PutAsync(new byte[] { 1, 2, 3 }, cancellationToken: Ct);
        clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(put.Id, new byte[3]).Status);
        await temp.Store.FlushAsync(Ct);
        // The barrier commits after the bookkeeping the read queued is written by the idle writer.
        await temp.Store.FlushAsync(Ct);

        Assert.True(temp.Store.TryGetInfo(put.Id, out var info));
        Assert.Equal(clock.GetUtcNow(), info.LastVerifiedAt);
    }

    [Fact]
    public async Task Operations_AfterDispose_FailWithClosed()
    {
        var temp = new TempStore();
        await temp.CloseAsync();
        var put = await Assert.ThrowsAsync<StorageException>(async () => await temp.Store.PutAsync(new byte[1], cancellationToken: Ct));
        Assert.Equal(StorageErrorReason.Closed, put.Reason);
        Assert.Equal(StorageErrorReason.Closed, Assert.Throws<StorageException>(() => temp.Store.Read(ShardId.Compute([]), new byte[1])).Reason);
        await temp.DisposeAsync();
    }
}
