using System.Globalization;

namespace Overlay.Sim.Files;

/// <summary><c>Overlay.Sim files</c>: parses the arguments of <see cref="FilesRun"/>.</summary>
internal static class FilesCommand
{
    public const string Usage = "usage: Overlay.Sim files [--nodes 1000] [--sizes 1,100 (MiB; 0.25 for 256 KiB)] [--code 10+4] [--chunk-kib 10240] [--parallel-shards 16] [--stream-window-kib 64] [--stream-window-max-kib 16384 (bulk streams grow to it; = --stream-window-kib: fixed)] [--link-mbps 100 (per connection, each way; 0 unlimited)] [--seed 1] [--event-digest] --latency PATH";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var defaults = new FilesSettings();
        int nodes = defaults.Nodes, k = defaults.DataShards, m = defaults.ParityShards, chunkKib = defaults.ChunkBytes >> 10, parallel = defaults.ParallelShards, windowKib = defaults.StreamWindowBytes >> 10, maxKib = defaults.BulkStreamWindowMaxBytes >> 10, seed = defaults.Seed;
        var mbps = defaults.LinkBytesPerSecond * 8 / 1e6;
        var sizes = defaults.FileBytes;
        string? latency = null;
        var digest = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--event-digest")
            {
                digest = true;
                continue;
            }

            var value = i + 1 < args.Length ? args[i + 1] : null;
            var ok = args[i] switch
            {
                "--nodes" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out nodes) && nodes >= 4,
                "--sizes" => TryParseSizes(value, out sizes),
                "--code" => TryParseCode(value, out k, out m),
                "--chunk-kib" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out chunkKib) && chunkKib is >= 4 and <= 256 << 10,
                "--parallel-shards" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out parallel) && parallel is >= 1 and <= 256,
                "--stream-window-kib" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out windowKib) && windowKib is >= 64 and <= 65536 && int.IsPow2(windowKib),
                "--stream-window-max-kib" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out maxKib) && maxKib is >= 64 and <= 65536 && int.IsPow2(maxKib),
                "--link-mbps" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out mbps) && mbps is >= 0 and <= 1e6,
                "--seed" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed),
                "--latency" => (latency = value) is not null,
                _ => false,
            };
            if (!ok)
            {
                error.WriteLine($"The argument '{args[i]}' (value '{value}') is not understood; --nodes ≥ 4, --sizes a comma-separated list of MiB in (0, 4096], --code K+M with k + m ≤ 256, --chunk-kib 4..262144, --parallel-shards 1..256, --stream-window-kib and --stream-window-max-kib powers of two in 64..65536, --link-mbps 0..1000000.");
                error.WriteLine(Usage);
                return 2;
            }

            i++;
        }

        if (maxKib < windowKib)
        {
            // Fixed windows at a larger size: the maximum follows the initial window.
            maxKib = windowKib;
        }

        if (k + m >= nodes)
        {
            error.WriteLine($"A {k}+{m} code needs more than {k + m} nodes to place a stripe on distinct holders and fetch from a third node.");
            return 2;
        }

        if (!LatencyFile.TryRead(latency, error, out var matrix))
        {
            return 2;
        }

        var settings = new FilesSettings
        {
            Nodes = nodes, FileBytes = sizes, DataShards = k, ParityShards = m, ChunkBytes = chunkKib << 10, ParallelShards = parallel, StreamWindowBytes = windowKib << 10, BulkStreamWindowMaxBytes = maxKib << 10,
            LinkBytesPerSecond = (long)(mbps * 1e6 / 8), Seed = seed, EventDigest = digest,
        };
        var result = new FilesRun(settings, matrix, output).Run();
        return result.Files.All(f => f.FetchIdentical && f.AfterKillIdentical) ? 0 : 1;
    }

    private static bool TryParseSizes(string? value, out IReadOnlyList<long> sizes)
    {
        var list = new List<long>();
        sizes = list;
        foreach (var part in (value ?? "").Split(','))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var mib) || mib is <= 0 or > 4096)
            {
                return false;
            }

            list.Add((long)(mib * (1 << 20)));
        }

        return list.Count > 0;
    }

    private static bool TryParseCode(string? value, out int k, out int m)
    {
        (k, m) = (0, 0);
        var parts = (value ?? "").Split('+');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out k) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out m)
            && k >= 1 && m >= 1 && k + m <= 256;
    }
}
