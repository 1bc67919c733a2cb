using System.Globalization;

namespace Overlay.Sim;

/// <summary><c>Overlay.Sim repair</c>: parses the arguments of <see cref="RepairRun"/>.</summary>
internal static class RepairCommand
{
    public const string Usage = "usage: Overlay.Sim repair [--nodes 200] [--shards 2000] [--shard-bytes 16384] [--kill 0.2] [--no-repair] [--provider-cache 4096] [--parallel-reads 64 (read-backs at once; 1: one after another)] [--seed 1] [--dead-dial-delay SECONDS (default: the handshake timeout; 0: at once)] [--event-digest] [--progress SECONDS] --latency PATH";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var defaults = new RepairSettings();
        int nodes = defaults.Nodes, shards = defaults.Shards, shardBytes = defaults.ShardBytes, seed = defaults.Seed, providerCache = defaults.ProviderCache, parallelReads = defaults.ParallelReads;
        var kill = defaults.Kill;
        var repair = defaults.Repair;
        var digest = false;
        var progressSeconds = 0;
        double? deadDialSeconds = null;
        string? latency = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var ok = args[i] switch
            {
                "--nodes" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out nodes) && nodes >= 4,
                "--shards" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out shards) && shards >= 1,
                "--shard-bytes" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out shardBytes) && shardBytes is >= 1 and <= 4 << 20,
                "--kill" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out kill) && kill is > 0 and < 1,
                "--seed" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed),
                "--provider-cache" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out providerCache) && providerCache <= 1_000_000,
                "--parallel-reads" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out parallelReads) && parallelReads is >= 1 and <= 4096,
                "--latency" => (latency = value) is not null,
                "--no-repair" => !(repair = false),
                "--event-digest" => digest = true,
                "--dead-dial-delay" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 300 && (deadDialSeconds = d) is not null,
                "--progress" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out progressSeconds) && progressSeconds >= 1,
                _ => false,
            };
            if (!ok)
            {
                error.WriteLine($"The argument '{args[i]}' (value '{value}') is not understood; --nodes ≥ 4, --shards ≥ 1, --shard-bytes 1..4194304, --kill in (0, 1), --seed ≥ 0, --provider-cache 0..1000000, --parallel-reads 1..4096, --dead-dial-delay 0..300, --progress ≥ 1 (virtual seconds).");
                error.WriteLine(Usage);
                return 2;
            }

            i += args[i] is "--no-repair" or "--event-digest" ? 0 : 1;
        }

        if (!LatencyFile.TryRead(latency, error, out var matrix))
        {
            return 2;
        }

        var settings = new RepairSettings
        {
            Nodes = nodes, Shards = shards, ShardBytes = shardBytes, Kill = kill, Repair = repair, Seed = seed, ProviderCache = providerCache,
            ParallelReads = parallelReads, EventDigest = digest, DeadDialDelay = deadDialSeconds is { } dd ? TimeSpan.FromSeconds(dd) : null, Progress = TimeSpan.FromSeconds(progressSeconds),
        };
        new RepairRun(settings, matrix, output).Run();
        return 0;
    }
}
