using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
