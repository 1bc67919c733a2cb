using Microsoft.Data.Sqlite;
using Overlay.Storage;

namespace Overlay.Integration.Tests;

public sealed class VerifyCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _dataDir = Directory.CreateTempSubdirectory("overlay-verify").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public async Task Verify_NoStoreYet_SaysNothingToVerify()
    {
        var (code, output) = await NodeProcess.RunAsync(Timeout, "verify", "--data-dir", _dataDir);
        Assert.Equal(0, code);
        Assert.Contains("nothing to verify", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_CorruptedShard_IsReportedByIdAndExitsWithDataError()
    {
        var options = new StorageOptions { Directory = Path.Combine(_dataDir, "storage") };
        var ids = new List<ShardId>();
        await using (var store = SqliteShardStore.Open(options))
        {
            for (var i = 0; i < 5; i++)
            {
                var bytes = new byte[1000 + i];
                new Random(i).NextBytes(bytes);
                ids.Add((await store.PutAsync(bytes, cancellationToken: TestContext.Current.CancellationToken)).Id);
            }
        }

        SqliteConnection.ClearAllPools();
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(options.Directory, "shards.db")};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "UPDATE shard_data SET data = randomblob(length(data)) WHERE rowid IN (SELECT data_id FROM shards WHERE id = $id UNION SELECT data_id FROM recent_shards WHERE id = $id)";
            command.Parameters.AddWithValue("$id", ids[2].ToArray());
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var (code, output) = await NodeProcess.RunAsync(Timeout, "verify", "--data-dir", _dataDir);
        Assert.Equal(65, code);
        Assert.Contains("Checked 5 shards", output, StringComparison.Ordinal);
        Assert.Contains("4 intact, 1 corrupted", output, StringComparison.Ordinal);
        Assert.Contains($"corrupted: {ids[2]}", output, StringComparison.Ordinal);
        Assert.Contains("Quarantined shards in all: 1.", output, StringComparison.Ordinal);

        // Quarantined: a second scrub finds the remaining four intact.
        var (again, secondOutput) = await NodeProcess.RunAsync(Timeout, "verify", "--data-dir", _dataDir);
        Assert.Equal(0, again);
        Assert.Contains("4 intact, 0 corrupted", secondOutput, StringComparison.Ordinal);
        Assert.Contains("Quarantined shards in all: 1.", secondOutput, StringComparison.Ordinal);
    }
}
