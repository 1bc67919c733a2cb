using Overlay.Storage;

namespace Overlay.Storage.Tests;

/// <summary>A store in a fresh temporary directory, removed afterwards.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    public TempStore(Action<StorageOptions>? configure = null, TimeProvider? time = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "overlay-storage-" + Guid.NewGuid().ToString("N"));
        Options = new StorageOptions { Directory = Directory, ReaderCount = 2, MmapBytes = 16 << 20 };
        configure?.Invoke(Options);
        Time = time ?? TimeProvider.System;
        Store = SqliteShardStore.Open(Options, Time);
    }

    public string Directory { get; }

    public StorageOptions Options { get; }

    public TimeProvider Time { get; }

    public SqliteShardStore Store { get; private set; }

    public string DatabasePath => Path.Combine(Directory, SqliteShardStore.FileName);

    public async Task CloseAsync() => await Store.DisposeAsync();

    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = SqliteShardStore.Open(Options, Time);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Checks the usage counts; one snapshot of them, since the file size moves on its own (checkpoints, bookkeeping).</summary>
    public static void AssertUsage(SqliteShardStore store, long shardCount, long usedBytes, long capacityBytes)
    {
        var usage = store.GetUsage();
        Assert.Equal((shardCount, usedBytes, capacityBytes), (usage.ShardCount, usage.UsedBytes, usage.CapacityBytes));
        Assert.True(usage.FileBytes > 0);
    }

    public static byte[] RandomBytes(Random random, int size)
    {
        var bytes = new byte[size];
        random.NextBytes(bytes);
        return bytes;
    }
}
