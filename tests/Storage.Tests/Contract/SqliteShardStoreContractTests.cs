using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

/// <summary>The conformance suite on the SQLite store, new shards kept in its log of recent shards.</summary>
public sealed class SqliteShardStoreContractTests : ShardStoreContractTests
{
    protected override TestShardStore Open(Action<StorageOptions>? configure = null, TimeProvider? time = null) => new SqliteTestShardStore(configure, time);
}

/// <summary>The conformance suite on the SQLite store, every batch merged into its id index.</summary>
public sealed class SqliteMergedShardStoreContractTests : ShardStoreContractTests
{
    protected override TestShardStore Open(Action<StorageOptions>? configure = null, TimeProvider? time = null) =>
        new SqliteTestShardStore(o =>
        {
            o.MergeThreshold = 1;
            configure?.Invoke(o);
        }, time);
}

internal sealed class SqliteTestShardStore : TestShardStore
{
    private readonly TempStore _temp;

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public SqliteTestShardStore(Action<StorageOptions>? configure, TimeProvider? time)
    {
        _temp = new TempStore(configure, time);
        Options = _temp.Options;
        Time = _temp.Time;
    }

    public override IShardStore Store => _temp.Store;

    public override IShardStoreAdministration Administration => _temp.Store;

    public override Meter Meter => _temp.Store.Meter;

    public override Task ReopenAsync() => _temp.ReopenAsync();

    public override async Task DamageAsync(ShardId id)
    {
        await _temp.CloseAsync();
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _temp.DatabasePath, Pooling = false }.ToString()))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            // New shards may still sit in the log of recent shards, not yet merged into the id index.
            command.CommandText = "UPDATE shard_data SET data = randomblob(length(data)) WHERE rowid IN (SELECT data_id FROM shards WHERE id = $id UNION ALL SELECT data_id FROM recent_shards WHERE id = $id)";
            command.Parameters.AddWithValue("$id", id.ToArray());
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        await _temp.ReopenAsync();
    }

    public override Task CloseAsync() => _temp.CloseAsync();

    public override ValueTask DisposeAsync() => _temp.DisposeAsync();
}
