using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyReaders_WhileOneWriterPutsAndDeletes_AlwaysSeeWholeVerifiedShards()
    {
        await using var temp = new TempStore(o =>
        {
            o.ReaderCount = 3;
            o.WriteBatchSize = 32;
        });
        var random = new Random(50);
        var stable = new List<(ShardId Id, byte[] Data)>();
        for (var i = 0; i < 200; i++)
        {
            var data = TempStore.RandomBytes(random, i % 10 == 0 ? 100_000 : random.Next(1, 5000));
            stable.Add(((await temp.Store.PutAsync(data, cancellationToken: Ct)).Id, data));
        }

        using var corrupted = new CounterWatch(temp.Store.Meter, "overlay.storage.corrupted");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var churned = new System.Collections.Concurrent.ConcurrentQueue<ShardId>();
        var writer = Task.Run(async () =>
        {
            var local = new Random(51);
            for (var round = 0; round < 40; round++)
            {
                var puts = new List<Task<PutResult>>();
                for (var i = 0; i < 25; i++)
                {
                    puts.Add(temp.Store.PutAsync(TempStore.RandomBytes(local, local.Next(1, 80_000)), cancellationToken: Ct).AsTask());
                }

                foreach (var put in puts)
                {
                    churned.Enqueue((await put).Id);
                }

                // Delete some of what was just written, so readers race against deletes and rowid reuse.
                for (var i = 0; i < 10 && churned.TryDequeue(out var id); i++)
                {
                    Assert.True(await temp.Store.DeleteAsync(id, Ct));
                }
            }
        }, Ct);

        var readers = new Task<long>[4];
        for (var r = 0; r < readers.Length; r++)
        {
            var seed = 60 + r;
            readers[r] = Task.Run(() =>
            {
                var local = new Random(seed);
                var buffer = new byte[100_000];
                long reads = 0;
                while (!writer.IsCompleted || reads < 2000)
                {
                    var (id, data) = stable[local.Next(stable.Count)];
                    var result = temp.Store.Read(id, buffer);
                    Assert.Equal(ShardReadStatus.Found, result.Status);
                    Assert.True(buffer.AsSpan(0, result.Length).SequenceEqual(data));
                    if (churned.TryPeek(out var moving))
                    {
                        // A shard being deleted is either there, whole, or gone: never torn.
                        var status = temp.Store.Read(moving, buffer).Status;
                        Assert.True(status is ShardReadStatus.Found or ShardReadStatus.NotFound, status.ToString());
                    }

                    reads++;
                }

                return reads;
            }, Ct);
        }

        await writer;
        var total = 0L;
        foreach (var reader in readers)
        {
            total += await reader;
        }

        Assert.True(total >= 8000);
        Assert.Equal(0, corrupted.Total);
        Assert.Equal(200 + (40 * 15), temp.Store.GetUsage().ShardCount);
        Assert.True((await temp.Store.VerifyAllAsync(cancellationToken: Ct)).IsClean);
    }

    [Fact]
    public async Task Reads_FromMoreThreadsThanReaders_ShareThePoolAndAllVerify()
    {
        await using var temp = new TempStore(o => o.ReaderCount = 2);
        var random = new Random(52);
        var shards = new List<(ShardId Id, byte[] Data)>();
        for (var i = 0; i < 300; i++)
        {
            var data = TempStore.RandomBytes(random, i % 50 == 0 ? 200_000 : random.Next(0, 3000));
            shards.Add(((await temp.Store.PutAsync(data, cancellationToken: Ct)).Id, data));
        }

        using var start = new Barrier(8);
        var threads = new Thread[8];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        for (var t = 0; t < threads.Length; t++)
        {
            var seed = 80 + t;
            threads[t] = new Thread(() =>
            {
                var local = new Random(seed);
                var buffer = new byte[200_000];
                start.SignalAndWait(Ct);
                for (var i = 0; i < 1500; i++)
                {
                    var (id, data) = shards[local.Next(shards.Count)];
                    var result = temp.Store.Read(id, buffer);
                    if (result.Status != ShardReadStatus.Found || !buffer.AsSpan(0, result.Length).SequenceEqual(data))
                    {
                        failures.Enqueue($"{id}: {result.Status}");
                    }

                    // Interleave the other pooled statements with the reads.
                    if (!temp.Store.Contains(id) || !temp.Store.TryGetInfo(id, out var info) || info.Size != data.Length)
                    {
                        failures.Enqueue($"{id}: metadata");
                    }
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(failures);
        await temp.CloseAsync();
        // Every reader came back to the pool, so closing finished and the store is really closed.
        Assert.Throws<StorageException>(() => temp.Store.Contains(shards[0].Id));
    }
}
