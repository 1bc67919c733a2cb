// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Buffers;
using System.IO.Pipelines;
using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

/// <summary>
/// The behaviour every shard store must show, run once per implementation by a subclass that opens
/// the store: puts, reads, quota, expiry, owners' holds, damage and scrub. What only one
/// implementation has (SQLite's files, batches, merges and crash safety) is tested beside it.
/// </summary>
public abstract partial class ShardStoreContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Opens a fresh, empty store with default options changed by <paramref name="configure"/>.</summary>
    protected abstract TestShardStore Open(Action<StorageOptions>? configure = null, TimeProvider? time = null);

    protected static byte[] RandomBytes(Random random, int size) => TempStore.RandomBytes(random, size);

    protected static void AssertUsage(IShardStore store, long shardCount, long usedBytes, long capacityBytes)
    {
        var usage = store.GetUsage();
        Assert.Equal((shardCount, usedBytes, capacityBytes), (usage.ShardCount, usage.UsedBytes, usage.CapacityBytes));
    }

    protected static void AssertServes(IShardStore store, ShardId id, byte[] data)
    {
        var buffer = new byte[data.Length];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, data.Length), store.Read(id, buffer));
        Assert.Equal(data, buffer);
    }

    /// <summary>Awaits every put: how many were acknowledged, and how many refused for <paramref name="reason"/> (any other failure fails the test).</summary>
    protected static async Task<(int Stored, int Refused)> CountOutcomesAsync(IEnumerable<ValueTask<PutResult>> pending, StorageErrorReason reason)
    {
        var stored = 0;
        var refused = 0;
        foreach (var put in pending)
        {
            try
            {
                await put;
                stored++;
            }
            catch (StorageException e) when (e.Reason == reason)
            {
                refused++;
            }
        }

        return (stored, refused);
    }

    protected static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var all = new List<T>();
        await foreach (var item in items.WithCancellation(Ct))
        {
            all.Add(item);
        }

        return all;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(64 * 1024)]
    [InlineData(64 * 1024 + 1)]
    [InlineData(1024 * 1024)]
    public async Task Put_ThenRead_ReturnsTheSameBytesUnderTheirHash(int size)
    {
        await using var s = Open();
        var data = RandomBytes(new Random(size), size);

        var put = await s.Store.PutAsync(data, cancellationToken: Ct);

        Assert.True(put.Stored);
        Assert.Equal(ShardId.Compute(data), put.Id);
        var buffer = new byte[size + 10];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, size), s.Store.Read(put.Id, buffer));
        Assert.Equal(data, buffer[..size]);
        Assert.True(s.Store.Contains(put.Id));
        Assert.True(s.Store.TryGetInfo(put.Id, out var info));
        Assert.Equal(size, info.Size);
        AssertUsage(s.Store, 1, size, s.Options.CapacityBytes);
    }

    [Fact]
    public async Task Put_SameContentTwice_IsIdempotentAndKeepsLongerLifeAndPin()
    {
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(time: clock);
        var data = RandomBytes(new Random(3), 500);
        var soon = Start.AddHours(1);
        var later = Start.AddHours(5);

        var first = await s.Store.PutAsync(data, new ShardPutOptions(later), Ct);
        clock.Advance(TimeSpan.FromMinutes(1));
        var second = await s.Store.PutAsync(data, new ShardPutOptions(soon, Pinned: true), Ct);

        Assert.True(first.Stored);
        Assert.False(second.Stored);
        Assert.Equal(first.Id, second.Id);
        Assert.True(s.Store.TryGetInfo(first.Id, out var info));
        Assert.Equal(later, info.ExpiresAt);
        Assert.True(info.Pinned);
        Assert.Equal(500, info.Size);
        Assert.Equal(Start, info.StoredAt);
        AssertUsage(s.Store, 1, 500, s.Options.CapacityBytes);

        // "Never" is later than any time.
        await s.Store.PutAsync(data, new ShardPutOptions(null), Ct);
        Assert.True(s.Store.TryGetInfo(first.Id, out info));
        Assert.Null(info.ExpiresAt);
    }

    [Fact]
    public async Task Put_SameContentConcurrently_IsStoredOnceAndMergesLifeAndPin()
    {
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(o => o.WriteBatchSize = 64, clock);
        var data = RandomBytes(new Random(71), 700);
        var later = Start.AddHours(5);

        // Started back to back without awaiting (for SQLite, one transaction).
        var first = s.Store.PutAsync(data, new ShardPutOptions(Start.AddHours(1)), Ct);
        var second = s.Store.PutAsync(data, new ShardPutOptions(later, Pinned: true), Ct);
        var third = s.Store.PutAsync(data, new ShardPutOptions(Start.AddMinutes(1)), Ct);
        var results = new[] { await first, await second, await third };

        Assert.Equal([true, false, false], results.Select(r => r.Stored));
        Assert.True(s.Store.TryGetInfo(results[0].Id, out var info));
        Assert.Equal(later, info.ExpiresAt);
        Assert.True(info.Pinned);
        AssertUsage(s.Store, 1, 700, s.Options.CapacityBytes);

        await s.ReopenAsync();
        AssertUsage(s.Store, 1, 700, s.Options.CapacityBytes);
        AssertServes(s.Store, results[0].Id, data);
    }

    [Fact]
    public async Task Read_IntoSmallDestination_ReportsNeededLengthAndWritesNothing()
    {
        await using var s = Open();
        var put = await s.Store.PutAsync(new byte[] { 1, 2, 3, 4, 5 }, cancellationToken: Ct);
        var buffer = new byte[4];

        Assert.Equal(new ShardReadResult(ShardReadStatus.DestinationTooSmall, 5), s.Store.Read(put.Id, buffer));
        Assert.Equal(new byte[4], buffer);
        Assert.Equal(new ShardReadResult(ShardReadStatus.NotFound, 0), s.Store.Read(ShardId.Compute([9]), buffer));
        Assert.False(s.Store.Contains(ShardId.Compute([9])));
        Assert.False(s.Store.TryGetInfo(ShardId.Compute([9]), out _));
    }

    [Fact]
    public async Task Read_IntoPipeWriterAndStream_DeliversVerifiedBytes()
    {
        await using var s = Open();
        var data = RandomBytes(new Random(4), 300_000);
        var put = await s.Store.PutAsync(data, cancellationToken: Ct);

        var pipe = new Pipe();
        Assert.Equal(ShardReadStatus.Found, s.Store.Read(put.Id, pipe.Writer).Status);
        await pipe.Writer.CompleteAsync();
        var fromPipe = await pipe.Reader.ReadAtLeastAsync(data.Length + 1, Ct);
        Assert.Equal(data, fromPipe.Buffer.ToArray());

        using var stream = new MemoryStream();
        Assert.Equal(ShardReadStatus.Found, (await s.Store.ReadAsync(put.Id, stream, Ct)).Status);
        Assert.Equal(data, stream.ToArray());

        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ShardReadStatus.NotFound, s.Store.Read(ShardId.Compute([1]), writer).Status);
        Assert.Equal(0, writer.WrittenCount);
        using var none = new MemoryStream();
        Assert.Equal(ShardReadStatus.NotFound, (await s.Store.ReadAsync(ShardId.Compute([1]), none, Ct)).Status);
        Assert.Equal(0, none.Length);
    }

    [Fact]
    public async Task ReadRange_FromAnyOffset_CopiesThoseBytesOfTheVerifiedShard()
    {
        await using var s = Open();
        var data = RandomBytes(new Random(40), 70_000);
        var id = (await s.Store.PutAsync(data, cancellationToken: Ct)).Id;
        var random = new Random(41);

        foreach (var offset in new[] { 0, 1, 1024, 65_535, 65_536, 69_999, random.Next(70_000), random.Next(70_000) })
        {
            var chunk = new byte[1024];
            var expected = Math.Min(chunk.Length, data.Length - offset);
            Assert.Equal(new ShardReadResult(ShardReadStatus.Found, expected), s.Store.ReadRange(id, offset, chunk));
            Assert.Equal(data.AsSpan(offset, expected).ToArray(), chunk[..expected]);
        }

        // The rest of a shard from an offset (a resumed fetch), the end itself, and past it.
        var rest = new byte[100_000];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, 30_000), s.Store.ReadRange(id, 40_000, rest));
        Assert.Equal(data[40_000..], rest[..30_000]);
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, 0), s.Store.ReadRange(id, 70_000, rest));
        Assert.Equal(new ShardReadResult(ShardReadStatus.OffsetBeyondEnd, 70_000), s.Store.ReadRange(id, 70_001, rest));
        Assert.Equal(new ShardReadResult(ShardReadStatus.OffsetBeyondEnd, 70_000), s.Store.ReadRange(id, long.MaxValue, rest));
        Assert.Equal(new ShardReadResult(ShardReadStatus.Found, 0), s.Store.ReadRange(id, 5, Span<byte>.Empty));
        Assert.Equal(new ShardReadResult(ShardReadStatus.NotFound, 0), s.Store.ReadRange(ShardId.Compute([7]), 0, rest));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Store.ReadRange(id, -1, rest));
    }

    [Fact]
    public async Task Put_FromStreamAndMultiSegmentSequence_StoresTheJoinedBytes()
    {
        await using var s = Open();
        var data = RandomBytes(new Random(5), 200_000);

        var fromStream = await s.Store.PutAsync(new MemoryStream(data), cancellationToken: Ct);
        Assert.Equal(ShardId.Compute(data), fromStream.Id);
        AssertServes(s.Store, fromStream.Id, data);

        var other = RandomBytes(new Random(6), 150_000);
        var fromSequence = await s.Store.PutAsync(Segments.Of(other, 3), cancellationToken: Ct);
        Assert.Equal(ShardId.Compute(other), fromSequence.Id);
        AssertServes(s.Store, fromSequence.Id, other);
    }

    [Fact]
    public async Task Put_Oversized_IsRefusedWithTypedErrorAndNothingWritten()
    {
        await using var s = Open(o => o.MaxShardBytes = 4096);
        using var puts = new CounterWatch(s.Meter, "overlay.storage.puts");

        var fromMemory = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(new byte[4097], cancellationToken: Ct));
        var fromSequence = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(Segments.Of(new byte[5000], 2), cancellationToken: Ct));
        var fromStream = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(new MemoryStream(new byte[100_000]), cancellationToken: Ct));

        Assert.All([fromMemory, fromSequence, fromStream], e => Assert.Equal(StorageErrorReason.ShardTooLarge, e.Reason));
        Assert.Contains("4096-byte limit", fromMemory.Message, StringComparison.Ordinal);
        Assert.Equal(3, puts.SumWithTag("result", "too_large"));
        Assert.Equal(0, s.Store.GetUsage().ShardCount);
        Assert.True((await s.Store.PutAsync(new byte[4096], cancellationToken: Ct)).Stored);
    }

    [Fact]
    public async Task Put_OfBytesThatDoNotHashToTheExpectedId_IsRefusedTypedAndWritesNothing()
    {
        await using var s = Open();
        using var puts = new CounterWatch(s.Meter, "overlay.storage.puts");
        var random = new Random(9);
        var claimed = RandomBytes(random, 2000);
        var sent = (byte[])claimed.Clone();
        sent[1999] ^= 1;
        var options = new ShardPutOptions(Owner: Alice, ExpectedId: ShardId.Compute(claimed));

        var fromMemory = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(sent, options, Ct));
        var fromSequence = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(Segments.Of(sent, 3), options, Ct));
        var fromStream = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(new MemoryStream(sent), options, Ct));

        Assert.All([fromMemory, fromSequence, fromStream], e => Assert.Equal(StorageErrorReason.IdMismatch, e.Reason));
        Assert.Contains(ShardId.Compute(claimed).ToString(), fromMemory.Message, StringComparison.Ordinal);
        Assert.Equal(3, puts.SumWithTag("result", "id_mismatch"));
        AssertUsage(s.Store, 0, 0, s.Options.CapacityBytes);
        Assert.Equal(default, s.Store.GetOwnerUsage(Alice));
        Assert.False(s.Store.Contains(ShardId.Compute(sent)));

        // The bytes that do hash to it are stored.
        Assert.True((await s.Store.PutAsync(claimed, options, Ct)).Stored);
        Assert.Equal(new OwnerUsage(1, 2000), s.Store.GetOwnerUsage(Alice));
    }

    [Fact]
    public async Task Put_BeyondQuota_IsRefusedAndEarlierShardsStay()
    {
        // Four shards' charges on top of 10,000 payload bytes.
        const long Capacity = 10_000 + (4 * StorageUsage.ShardOverheadBytes);
        await using var s = Open(o => o.CapacityBytes = Capacity);
        var random = new Random(7);
        var kept = new List<(ShardId Id, byte[] Data)>();
        for (var i = 0; i < 3; i++)
        {
            var data = RandomBytes(random, 3000);
            kept.Add(((await s.Store.PutAsync(data, cancellationToken: Ct)).Id, data));
        }

        var refused = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(RandomBytes(random, 1001), cancellationToken: Ct));

        Assert.Equal(StorageErrorReason.QuotaExceeded, refused.Reason);
        AssertUsage(s.Store, 3, 9000, Capacity);
        // Exactly up to the quota still fits; a delete frees room again.
        await s.Store.PutAsync(RandomBytes(random, 1000), cancellationToken: Ct);
        Assert.True(await s.Store.DeleteAsync(kept[0].Id, Ct));
        Assert.False(await s.Store.DeleteAsync(kept[0].Id, Ct));
        await s.Store.PutAsync(RandomBytes(random, 3000), cancellationToken: Ct);
        foreach (var (id, data) in kept.Skip(1))
        {
            AssertServes(s.Store, id, data);
        }

        await s.ReopenAsync();
        AssertUsage(s.Store, 4, 10_000, Capacity);
        Assert.Equal(Capacity, s.Store.GetUsage().ChargedBytes);
        Assert.Equal(0, s.Store.GetUsage().FreeBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(4096)]
    public async Task Quota_ChargesEachShardItsOverhead_SoTinyShardsCannotOutgrowIt(int size)
    {
        const int Shards = 10;
        var capacity = Shards * (size + (long)StorageUsage.ShardOverheadBytes);
        await using var s = Open(o => o.CapacityBytes = capacity);
        var random = new Random(size);
        var ids = new List<ShardId>();
        for (var i = 0; i < Shards; i++)
        {
            ids.Add((await s.Store.PutAsync(RandomBytes(random, size), cancellationToken: Ct)).Id);
        }

        // The payload alone is far below the quota; the charges fill it.
        var refused = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(RandomBytes(random, 1), cancellationToken: Ct));
        Assert.Equal(StorageErrorReason.QuotaExceeded, refused.Reason);
        Assert.Contains($"charged {1 + StorageUsage.ShardOverheadBytes}", refused.Message, StringComparison.Ordinal);
        var usage = s.Store.GetUsage();
        Assert.Equal((Shards, Shards * (long)size, capacity, 0L), (usage.ShardCount, usage.UsedBytes, usage.ChargedBytes, usage.FreeBytes));

        // A delete gives back the shard's whole charge, also after a reopen.
        Assert.True(await s.Store.DeleteAsync(ids[0], Ct));
        await s.ReopenAsync();
        Assert.Equal(size + StorageUsage.ShardOverheadBytes, s.Store.GetUsage().FreeBytes);
        await s.Store.PutAsync(RandomBytes(random, size), cancellationToken: Ct);
        Assert.Equal(0, s.Store.GetUsage().FreeBytes);
    }

    [Fact]
    public async Task Put_ManyAtOnceWhereSomeExceedQuota_OnlyThoseAreRefused()
    {
        await using var s = Open(o => o.CapacityBytes = 50 * (1000 + StorageUsage.ShardOverheadBytes));
        using var puts = new CounterWatch(s.Meter, "overlay.storage.puts");
        var random = new Random(8);
        var pending = new List<ValueTask<PutResult>>();
        for (var i = 0; i < 80; i++)
        {
            pending.Add(s.Store.PutAsync(RandomBytes(random, 1000), cancellationToken: Ct));
        }

        Assert.Equal((50, 30), await CountOutcomesAsync(pending, StorageErrorReason.QuotaExceeded));
        Assert.Equal(50_000, s.Store.GetUsage().UsedBytes);
        Assert.Equal((50L, 30L), (puts.SumWithTag("result", "stored"), puts.SumWithTag("result", "quota")));
    }

    [Fact]
    public async Task Put_OfStoredContentWhenQuotaIsFull_IsStillAcknowledged()
    {
        await using var s = Open(o => o.CapacityBytes = 2000 + StorageUsage.ShardOverheadBytes);
        var random = new Random(72);
        var kept = RandomBytes(random, 2000);
        Assert.True((await s.Store.PutAsync(kept, cancellationToken: Ct)).Stored);

        var again = await s.Store.PutAsync(kept, new ShardPutOptions(Pinned: true), Ct);
        var refused = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(RandomBytes(random, 1), cancellationToken: Ct));

        Assert.False(again.Stored);
        Assert.True(s.Store.TryGetInfo(again.Id, out var info) && info.Pinned);
        Assert.Equal(StorageErrorReason.QuotaExceeded, refused.Reason);
        Assert.Equal(2000, s.Store.GetUsage().UsedBytes);
    }

    [Fact]
    public async Task Put_WithCancelledToken_IsCancelledWritesNothingAndTheNextPutWorks()
    {
        await using var s = Open();
        var data = RandomBytes(new Random(73), 100);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.Store.PutAsync(data, cancellationToken: cancelled.Token));

        Assert.False(s.Store.Contains(ShardId.Compute(data)));
        Assert.Equal(0, s.Store.GetUsage().ShardCount);
        Assert.True((await s.Store.PutAsync(data, cancellationToken: Ct)).Stored);
    }

    [Fact]
    public async Task Enumerate_ListsEveryShardInIdOrderWithMetadata()
    {
        await using var s = Open();
        var random = new Random(10);
        // More than two pages of 512, all in flight at once.
        var pending = Enumerable.Range(0, 1200).Select(i => s.Store.PutAsync(RandomBytes(random, 16 + (i % 50)), new ShardPutOptions(Pinned: i % 2 == 0), Ct).AsTask()).ToList();
        var ids = (await Task.WhenAll(pending)).Select(p => p.Id).ToList();

        var listed = await ListAsync(s.Store.EnumerateAsync(Ct));

        ids.Sort();
        Assert.Equal(ids, listed.Select(i => i.Id).ToList());
        Assert.Equal(s.Store.GetUsage().UsedBytes, listed.Sum(i => (long)i.Size));
        Assert.Equal(600, listed.Count(i => i.Pinned));
    }

    [Fact]
    public async Task Enumerate_WhileShardsComeAndGo_ListsEveryStableShardOnceInIdOrder()
    {
        await using var s = Open();
        var random = new Random(11);
        var pending = Enumerable.Range(0, 1100).Select(_ => s.Store.PutAsync(RandomBytes(random, 40), cancellationToken: Ct).AsTask()).ToList();
        var stable = (await Task.WhenAll(pending)).Select(p => p.Id).ToHashSet();

        var churn = new List<ShardId>();
        var listed = new List<ShardId>();
        await foreach (var info in s.Store.EnumerateAsync(Ct))
        {
            listed.Add(info.Id);
            // Between items: new shards arrive and some of them leave again.
            if (listed.Count % 8 == 0)
            {
                churn.Add((await s.Store.PutAsync(RandomBytes(random, 40), cancellationToken: Ct)).Id);
                if (churn.Count % 3 == 0)
                {
                    Assert.True(await s.Store.DeleteAsync(churn[^2], Ct));
                }
            }
        }

        Assert.Equal(listed.Order().ToList(), listed);
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Subset(listed.ToHashSet(), stable);
    }

    [Fact]
    public async Task ManyReaders_WhileOneWriterPutsAndDeletes_AlwaysSeeWholeVerifiedShards()
    {
        await using var s = Open(o =>
        {
            o.ReaderCount = 3;
            o.WriteBatchSize = 32;
        });
        var random = new Random(50);
        var stableData = Enumerable.Range(0, 200).Select(i => RandomBytes(random, i % 10 == 0 ? 100_000 : random.Next(1, 5000))).ToList();
        var stablePuts = await Task.WhenAll(stableData.Select(data => s.Store.PutAsync(data, cancellationToken: Ct).AsTask()));
        var stable = stablePuts.Select((put, i) => (put.Id, Data: stableData[i])).ToList();

        using var corrupted = new CounterWatch(s.Meter, "overlay.storage.corrupted");
        var churned = new System.Collections.Concurrent.ConcurrentQueue<ShardId>();
        var writer = Task.Run(async () =>
        {
            var local = new Random(51);
            for (var round = 0; round < 20; round++)
            {
                var puts = new List<Task<PutResult>>();
                for (var i = 0; i < 25; i++)
                {
                    puts.Add(s.Store.PutAsync(RandomBytes(local, local.Next(1, 80_000)), cancellationToken: Ct).AsTask());
                }

                foreach (var put in puts)
                {
                    churned.Enqueue((await put).Id);
                }

                // Delete some of what was just written, so readers race against deletes.
                var deletes = new List<Task<bool>>();
                for (var i = 0; i < 10 && churned.TryDequeue(out var id); i++)
                {
                    deletes.Add(s.Store.DeleteAsync(id, Ct).AsTask());
                }

                Assert.All(await Task.WhenAll(deletes), Assert.True);
            }
        }, Ct);

        var readers = new Task<long>[3];
        for (var r = 0; r < readers.Length; r++)
        {
            var seed = 60 + r;
            // Own threads, not the pool's: spinning readers would starve the completions of the writes they race.
            readers[r] = Task.Factory.StartNew(() =>
            {
                var local = new Random(seed);
                var buffer = new byte[100_000];
                long reads = 0;
                while (!writer.IsCompleted || reads < 1000)
                {
                    var (id, data) = stable[local.Next(stable.Count)];
                    var result = s.Store.Read(id, buffer);
                    Assert.Equal(ShardReadStatus.Found, result.Status);
                    Assert.True(buffer.AsSpan(0, result.Length).SequenceEqual(data));
                    var chunk = local.Next(data.Length + 1);
                    Assert.Equal(ShardReadStatus.Found, s.Store.ReadRange(id, chunk, buffer.AsSpan(0, 100)).Status);
                    if (churned.TryPeek(out var moving))
                    {
                        // A shard being deleted is either there, whole, or gone: never torn.
                        var status = s.Store.Read(moving, buffer).Status;
                        Assert.True(status is ShardReadStatus.Found or ShardReadStatus.NotFound, status.ToString());
                    }

                    reads++;
                }

                return reads;
            }, Ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        await writer;
        var total = 0L;
        foreach (var reader in readers)
        {
            total += await reader;
        }

        Assert.True(total >= 3000);
        Assert.Equal(0, corrupted.Total);
        Assert.Equal(200 + (20 * 15), s.Store.GetUsage().ShardCount);
        Assert.True((await s.Administration.VerifyAllAsync(cancellationToken: Ct)).IsClean);
    }

    [Fact]
    public async Task Operations_AfterClose_FailWithClosed()
    {
        var s = Open();
        var id = (await s.Store.PutAsync(new byte[] { 1 }, cancellationToken: Ct)).Id;
        await s.CloseAsync();

        static void Closed(StorageException e) => Assert.Equal(StorageErrorReason.Closed, e.Reason);
        Closed(await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(new byte[1], cancellationToken: Ct)));
        Closed(Assert.Throws<StorageException>(() => s.Store.Read(id, new byte[1])));
        Closed(Assert.Throws<StorageException>(() => s.Store.ReadRange(id, 0, new byte[1])));
        Closed(Assert.Throws<StorageException>(() => s.Store.Contains(id)));
        Closed(await Assert.ThrowsAsync<StorageException>(async () => await s.Store.DeleteAsync(id, Ct)));
        Closed(await Assert.ThrowsAsync<StorageException>(async () => await s.Store.RenewAsync(id, null, cancellationToken: Ct)));
        Closed(await Assert.ThrowsAsync<StorageException>(async () => await s.Administration.CollectExpiredAsync(Start, 10, Ct)));
        Closed(await Assert.ThrowsAsync<StorageException>(() => s.Administration.VerifyAllAsync(cancellationToken: Ct)));
        await s.DisposeAsync();
    }
}
