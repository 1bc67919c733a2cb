using System.Diagnostics;
using System.Text.RegularExpressions;
using Overlay.Testing;

namespace Overlay.Dht.Tests;

/// <summary>
/// One seed gives one run across processes, not only twice in one: <c>Overlay.Sim files</c> and
/// <c>repair</c> run in two processes at once (each with its own randomised string hashing, thread pool,
/// object addresses and timing; the second without tiered compilation, so its code runs at another
/// speed), and print the same virtual times, outcomes and digest of every delivery. A content id that
/// hashed a hedged signature, or a continuation that came back from the thread pool, made them differ.
/// </summary>
public sealed partial class SimProcessDeterminismTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Files_InTwoProcessesWithOneSeed_PrintTheSameRun() =>
        await AssertTwoProcessesAgreeAsync("files", "--nodes", "16", "--sizes", "0.3", "--code", "4+2", "--chunk-kib", "64", "--seed", "3");

    [Fact]
    public async Task Repair_InTwoProcessesWithOneSeed_PrintTheSameRun() =>
        await AssertTwoProcessesAgreeAsync("repair", "--nodes", "24", "--shards", "60", "--shard-bytes", "4096", "--seed", "3");

    private async Task AssertTwoProcessesAgreeAsync(params string[] args)
    {
        string[] full = [.. args, "--event-digest", "--latency", TestData.PathOf("latency/PlanetLabData_1")];
        var runs = await Task.WhenAll(RunSimAsync(full, tiered: true), RunSimAsync(full, tiered: false));

        output.WriteLine(string.Join('\n', runs[0]));
        var digest = Assert.Single(runs[0], l => l.StartsWith("event digest ", StringComparison.Ordinal));
        Assert.EndsWith("; 0 continuations posted from off the scheduler", digest, StringComparison.Ordinal);
        Assert.DoesNotContain("over 0 deliveries", digest, StringComparison.Ordinal);
        Assert.Equal(runs[0], runs[1]);
    }

    // The lines of a run without what the wall clock or the process decides (wall time, CPU, RSS).
    private static async Task<List<string>> RunSimAsync(string[] args, bool tiered)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Overlay.Sim.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        if (!tiered)
        {
            start.Environment["DOTNET_TieredCompilation"] = "0";
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
        return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("wall ", StringComparison.Ordinal))
            .Select(l => WallOrCpuTime().Replace(l, m => "_ s " + m.Groups[1].Value))];
    }

    [GeneratedRegex(@"[0-9.]+ s (wall|CPU)")]
    private static partial Regex WallOrCpuTime();
}
