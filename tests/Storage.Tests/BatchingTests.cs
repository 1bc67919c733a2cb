// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using Overlay.Storage;

namespace Overlay.Storage.Tests;

/// <summary>
/// The write path: many puts drained into one transaction and completed together, duplicates
/// answered by the insert's ON CONFLICT clause, pooled put operations reused across batches.
/// </summary>
public sealed class BatchingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyPutsInFlight_AreCommittedInBatches_AndEachCallerGetsItsOwnResult()
    {
        await using var temp = new TempStore(o =>
        {
            o.WriteBatchSize = 512;
            o.WriteQueueCapacity = 8192;
        });
        using var batches = new HistogramWatch(temp.Store.Meter, "overlay.storage.write_batch_size");
        using var puts = new CounterWatch(temp.Store.Meter, "overlay.storage.puts");
        var random = new Random(70);
        var data = new byte[3000][];
        var pending = new ValueTask<PutResult>[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = TempStore.RandomBytes(random, random.Next(1, 1200));
            pending[i] = temp.Store.PutAsync(data[i], cancellationToken: Ct);
        }

        for (var i = 0; i < data.Length; i++)
        {
            var result = await pending[i];
            Assert.True(result.Stored);
            Assert.Equal(ShardId.Compute(data[i]), result.Id);
        }

        // 3,000 puts queued at once cannot have gone one transaction each, and none exceeds the limit.
        Assert.True(batches.Count < data.Length / 4, $"{batches.Count} transactions for {data.Length} puts");
        Assert.True(batches.Max <= 512, $"largest batch {batches.Max}");
        Assert.Equal(data.Length, batches.Sum);
        Assert.Equal(data.Length, puts.Total);
        Assert.Equal(data.Length, temp.Store.GetUsage().ShardCount);

        // The pooled operations serve a second wave just as well, and the bytes read back verified.
        for (var i = 0; i < data.Length; i++)
        {
            pending[i] = temp.Store.PutAsync(data[i], cancellationToken: Ct);
        }

        for (var i = 0; i < data.Length; i++)
        {
            Assert.False((await pending[i]).Stored);
        }

        var buffer = new byte[1200];
        for (var i = 0; i < data.Length; i++)
        {
            var read = temp.Store.Read(ShardId.Compute(data[i]), buffer);
            Assert.Equal(ShardReadStatus.Found, read.Status);
            Assert.True(buffer.AsSpan(0, read.Length).SequenceEqual(data[i]));
        }

        Assert.Equal(data.Length, temp.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task DeletedShards_DoNotLendTheirPayloadRowsToNewOnes_AcrossReopen()
    {
        await using var temp = new TempStore();
        var random = new Random(74);
        var first = TempStore.RandomBytes(random, 900);
        var second = TempStore.RandomBytes(random, 900);
        var a = await temp.Store.PutAsync(first, cancellationToken: Ct);
        var b = await temp.Store.PutAsync(second, cancellationToken: Ct);
        Assert.True(await temp.Store.DeleteAsync(b.Id, Ct));

        // After a reopen the next payload row id is taken from the table again.
        await temp.ReopenAsync();
        var third = TempStore.RandomBytes(random, 900);
        var c = await temp.Store.PutAsync(third, cancellationToken: Ct);

        var buffer = new byte[900];
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(a.Id, buffer).Status);
        Assert.Equal(first, buffer);
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(c.Id, buffer).Status);
        Assert.Equal(third, buffer);
        Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(b.Id, buffer).Status);
        Assert.True((await temp.Store.VerifyAllAsync(cancellationToken: Ct)).IsClean);
    }

    [Fact]
    public async Task SustainedLargePuts_KeepTheWalBounded()
    {
        await using var temp = new TempStore(o => o.WriteBatchSize = 8);
        var random = new Random(75);
        var chunk = TempStore.RandomBytes(random, 1024 * 1024);
        var pending = new ValueTask<PutResult>[8];
        var walLimitBytes = (long)Overlay.Storage.Sqlite.WalGrowthLimit.WalFrameLimit * 4096;
        var written = 0L;
        var round = 0L;
        // Three times the WAL limit, queued so the writer never goes idle in between.
        while (written < 3 * walLimitBytes)
        {
            for (var i = 0; i < pending.Length; i++)
            {
                BitConverter.TryWriteBytes(chunk, ++round);
                pending[i] = temp.Store.PutAsync((byte[])chunk.Clone(), cancellationToken: Ct);
            }

            for (var i = 0; i < pending.Length; i++)
            {
                await pending[i];
            }

            written += pending.Length * (long)chunk.Length;
        }

        var wal = new FileInfo(temp.DatabasePath + "-wal").Length;
        // One batch (8 MiB plus metadata pages) may go past the limit before the writer restarts the WAL.
        Assert.True(wal < walLimitBytes + (16L << 20), $"WAL is {wal} bytes after {written} bytes of puts");
        Assert.True(temp.Store.WalCheckpoints > 0);
    }
}
