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

    /// <summary>SQLite's plan for <paramref name="sql"/> (parameters ?1 = 0 and ?2 = 10), read from the closed store's file.</summary>
    public string QueryPlan(string sql)
    {
        using var raw = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        command.Parameters.AddWithValue("?1", 0L);
        command.Parameters.AddWithValue("?2", 10);
        var plan = new List<string>();
        using var rows = command.ExecuteReader();
        while (rows.Read())
        {
            plan.Add(rows.GetString(3));
        }

        return string.Join("\n", plan);
    }

    public static byte[] RandomBytes(Random random, int size)
    {
        var bytes = new byte[size];
        random.NextBytes(bytes);
        return bytes;
    }
}
