using System.Diagnostics;
using Overlay.Storage;

namespace Overlay.Storage.Tests;

/// <summary>
/// Kills a writing process with SIGKILL at random moments and checks, after each reopen, that every
/// put it acknowledged is there and verifies, and that nothing half-written is visible.
/// </summary>
public sealed class CrashTests
{
    private const int Iterations = 24;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task Reopen_AfterWriterIsKilled_HasEveryAcknowledgedShardAndNothingHalfWritten() =>
        KillAndCheckAsync(Iterations, mergeThreshold: null);

    /// <summary>
    /// The same with a merge threshold of 48 against batches of up to 64 puts: nearly every batch is
    /// followed by a merge of the log into the id index, so many kills land inside one.
    /// </summary>
    [Fact]
    public async Task Reopen_AfterWriterIsKilledWhileMerging_HasEveryAcknowledgedShardAndNothingHalfWritten()
    {
        var directory = await KillAndCheckAsync(Iterations / 2, mergeThreshold: 48, keep: true);
        try
        {
            // Merges did commit (the id index holds shards), or the kills cannot have hit one.
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, SqliteShardStore.FileName)};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM shards";
            Assert.True((long)command.ExecuteScalar()! > 0, "No merge ever committed.");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> KillAndCheckAsync(int iterations, int? mergeThreshold, bool keep = false)
    {
        var writerDll = Path.Combine(AppContext.BaseDirectory, "Overlay.Storage.CrashWriter.dll");
        Assert.True(File.Exists(writerDll), $"The crash writer was not built next to the tests ({writerDll}).");
        var directory = Path.Combine(Path.GetTempPath(), "overlay-storage-crash-" + Guid.NewGuid().ToString("N"));
        var random = new Random(40);
        var acknowledged = new HashSet<ShardId>();
        var killsAfterAcks = 0;
        try
        {
            for (var iteration = 0; iteration < iterations; iteration++)
            {
                // One kill in six lands early, possibly while the store opens or migrates; the others
                // land at a random moment after the first put was acknowledged.
                var early = iteration % 6 == 5;
                var acked = await RunAndKillAsync(writerDll, directory, random.Next(), mergeThreshold, early, TimeSpan.FromMilliseconds(random.Next(0, early ? 150 : 300)));
                if (acked.Count > 0)
                {
                    killsAfterAcks++;
                }

                acknowledged.UnionWith(acked);

                await using var store = SqliteShardStore.Open(new StorageOptions { Directory = directory, ReaderCount = 1 });
                var buffer = new byte[1024 * 1024];
                foreach (var id in acknowledged)
                {
                    var read = store.Read(id, buffer);
                    Assert.True(read.Status == ShardReadStatus.Found, $"Iteration {iteration}: acknowledged shard {id} is {read.Status} after the kill.");
                }

                // Everything visible verifies (no torn payload) and the accounting matches the rows.
                long count = 0, bytes = 0;
                await foreach (var info in store.EnumerateAsync(Ct))
                {
                    Assert.Equal(ShardReadStatus.Found, store.Read(info.Id, buffer).Status);
                    count++;
                    bytes += info.Size;
                }

                var usage = store.GetUsage();
                Assert.Equal(count, usage.ShardCount);
                Assert.Equal(bytes, usage.UsedBytes);
                Assert.True(count >= acknowledged.Count);
            }

            // The kills must have landed while puts were being acknowledged, or nothing was tested.
            Assert.True(killsAfterAcks >= iterations * 3 / 4, $"Only {killsAfterAcks} of {iterations} kills came after an acknowledged put.");
            Assert.NotEmpty(acknowledged);
            await using var final = SqliteShardStore.Open(new StorageOptions { Directory = directory, ReaderCount = 1 });
            var report = await final.VerifyAllAsync(cancellationToken: Ct);
            Assert.True(report.IsClean, report.ToString());
            return directory;
        }
        finally
        {
            try
            {
                if (!keep)
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Starts the writer and kills it <paramref name="killAfter"/> after it started (<paramref name="early"/>)
    /// or after its first acknowledged put; returns the ids it printed.
    /// </summary>
    private static async Task<List<ShardId>> RunAndKillAsync(string writerDll, string directory, int seed, int? mergeThreshold, bool early, TimeSpan killAfter)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(writerDll);
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (mergeThreshold is { } threshold)
        {
            start.ArgumentList.Add(threshold.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var process = Process.Start(start)!;
        var acked = new List<ShardId>();
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            var firstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var sawReady = false;
            var reading = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(Ct) is { } line)
                {
                    sawReady |= line == "ready";
                    // A line cut off by the kill was never fully printed, so it was never claimed.
                    if (ShardId.TryParse(line, out var id))
                    {
                        lock (acked)
                        {
                            acked.Add(id);
                        }

                        firstAck.TrySetResult();
                    }
                }

                // The writer ended without acknowledging anything: stop waiting for a first ack.
                firstAck.TrySetResult();
            }, Ct);
            if (!early)
            {
                await firstAck.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
                if (!sawReady)
                {
                    Assert.Fail($"The crash writer did not start: {await stderr}");
                }
            }

            await Task.Delay(killAfter, Ct);
            process.Kill(entireProcessTree: false); // SIGKILL on Unix
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await reading.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        lock (acked)
        {
            return [.. acked];
        }
    }
}
