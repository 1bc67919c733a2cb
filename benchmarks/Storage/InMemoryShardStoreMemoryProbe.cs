using System.Buffers.Binary;
using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Storage.InMemory;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// Managed heap bytes an <see cref="InMemoryShardStore"/> holds beyond its shards' payloads: per shard
/// (with no owner and with one owner's hold) and per empty store, measured by full collections before
/// and after filling (the store copies each put, so the caller's buffer is not counted). Run with
/// <c>storage-memory</c>.
/// </summary>
public static class InMemoryShardStoreMemoryProbe
{
    public static void Run(TextWriter output)
    {
        foreach (var (size, count) in (ReadOnlySpan<(int, int)>)[(64, 100_000), (1024, 100_000), (16 * 1024, 10_000), (16 * 1024, 30_000)])
        {
            foreach (var held in (ReadOnlySpan<bool>)[false, true])
            {
                var (bytes, _) = Measure(() => Fill(size, count, held));
                var beyond = (bytes - ((long)size * count)) / (double)count;
                output.WriteLine($"{count,7:N0} shards of {size,6:N0} B{(held ? ", each held for an owner" : string.Empty),-25}: {bytes / (double)count,9:N1} heap bytes per shard, {beyond,6:N1} beyond the payload");
            }
        }

        // The simulator's layout: many small stores, one per node.
        const int Stores = 1000;
        var (empty, _) = Measure(() =>
        {
            var stores = new InMemoryShardStore[Stores];
            for (var i = 0; i < stores.Length; i++)
            {
                stores[i] = new InMemoryShardStore(new StorageOptions(), name: $"node {i}");
            }

            return stores;
        });
        output.WriteLine($"{Stores:N0} empty stores: {empty / (double)Stores:N0} heap bytes each");
    }

    /// <summary>Heap bytes that what <paramref name="build"/> returns keeps alive.</summary>
    private static (long Bytes, object Kept) Measure(Func<object> build)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var kept = build();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(kept);
        return (after - before, kept);
    }

    private static InMemoryShardStore Fill(int size, int count, bool held)
    {
        var store = new InMemoryShardStore(new StorageOptions { CapacityBytes = long.MaxValue / 2, MaxShardBytes = 1024 * 1024 });
        var shard = new byte[size];
        new Random(size).NextBytes(shard);
        var owner = PeerId.Random(new Random(1));
        var options = held ? new ShardPutOptions(Owner: owner) : default;
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(shard, i);
            store.PutAsync(shard, options).AsTask().GetAwaiter().GetResult();
        }

        return store;
    }
}
