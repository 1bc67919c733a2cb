using System.Globalization;
using Overlay.Dht.Coordinates;

namespace Overlay.Sim.Adversary;

/// <summary>
/// <c>Overlay.Sim adversary</c>: the success curve of S/Kademlia disjoint lookups under an eclipse attack,
/// measured for each malicious fraction m and path count d, beside the S/Kademlia estimate
/// P = Σ h_i (1 − (1 − (1 − m)^i)^d) computed from the hop counts h_i of the same network without an
/// adversary. Prints a table, and with <c>--csv FILE</c> writes the curve for scripts/plot-adversary.sh.
/// </summary>
internal static class AdversaryCommand
{
    public const string Usage =
        "usage: Overlay.Sim adversary [--nodes 1000] [--malicious 0.1,0.2,0.3,0.4] [--paths 1,2,4,8] [--lookups 200] [--keys 10] " +
        "[--sybils-per-key 100] [--sybil-bits 24] [--gets 50] [--quorums 1,3] [--seed 1] [--csv FILE] [--option NAME=VALUE]... --latency PATH";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var nodes = 1000;
        double[] fractions = [0.1, 0.2, 0.3, 0.4];
        int[] paths = [1, 2, 4, 8];
        var lookups = 200;
        var keys = 10;
        var sybilsPerKey = 100;
        var sybilBits = 24;
        var gets = 50;
        int[] quorums = [1, 3];
        var seed = 1;
        string? latency = null;
        string? csv = null;
        var settings = new List<string>();
        var c = CultureInfo.InvariantCulture;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var ok = value is not null && args[i] switch
            {
                "--nodes" => int.TryParse(value, NumberStyles.None, c, out nodes) && nodes >= 20,
                "--malicious" => TryList(value, s => double.TryParse(s, NumberStyles.Float, c, out var m) && m is >= 0 and <= 0.9 ? m : null, out fractions),
                "--paths" => TryList(value, s => int.TryParse(s, NumberStyles.None, c, out var d) && d is >= 1 and <= 16 ? d : null, out paths),
                "--lookups" => int.TryParse(value, NumberStyles.None, c, out lookups) && lookups >= 1,
                "--keys" => int.TryParse(value, NumberStyles.None, c, out keys) && keys >= 1,
                "--sybils-per-key" => int.TryParse(value, NumberStyles.None, c, out sybilsPerKey),
                "--sybil-bits" => int.TryParse(value, NumberStyles.None, c, out sybilBits) && sybilBits is >= 1 and <= 255,
                "--gets" => int.TryParse(value, NumberStyles.None, c, out gets),
                "--quorums" => TryList(value, s => int.TryParse(s, NumberStyles.None, c, out var q) && q is >= 1 and <= 20 ? q : null, out quorums),
                "--seed" => int.TryParse(value, NumberStyles.None, c, out seed),
                "--latency" => (latency = value) is not null,
                "--csv" => (csv = value) is not null,
                "--option" => value!.Contains('=', StringComparison.Ordinal) && SimOptions.TrySet(new Dht.DhtOptions(), value, out _) && Add(settings, value),
                _ => false,
            };
            if (!ok)
            {
                error.WriteLine($"The argument '{args[i]}' (value '{value}') is not understood.");
                error.WriteLine(Usage);
                return 2;
            }

            i++;
        }

        if (latency is null || !File.Exists(latency) || !LatencyMatrix.TryParse(File.ReadAllText(latency), 1.0, out var matrix, out var problem))
        {
            error.WriteLine($"The latency matrix '{latency}' is missing or unreadable; pass --latency PATH to an RTT matrix in milliseconds.");
            return 2;
        }

        _ = problem;
        void Configure(Dht.DhtOptions options)
        {
            foreach (var setting in settings)
            {
                SimOptions.TrySet(options, setting, out _);
            }
        }

        output.WriteLine(string.Create(c, $"eclipse attack: {nodes} nodes, {keys} attacked keys, {sybilsPerKey} Sybils per key at {sybilBits} shared bits, {lookups} lookups per d, seed {seed}"));

        // The same network without an adversary gives the hop counts the formula needs.
        var clean = new EclipseExperiment(new EclipseSettings(nodes, 0, keys, 0, sybilBits, lookups, [1], 0, [1], seed, Configure), matrix!, output).Run();
        var hopTotal = clean.Hops.Values.Sum();
        output.WriteLine("hop distribution without adversary (depth of the closest peer found; a seed is 1): " +
            string.Join(", ", clean.Hops.Select(h => string.Create(c, $"{h.Key}: {h.Value / (double)hopTotal:P1}"))) +
            string.Create(c, $"; lookups that found the closest honest node {clean.LookupSuccess[1]:P1}"));

        var rows = new List<string> { "malicious,paths,measured,formula" };
        output.WriteLine();
        output.WriteLine("| m | d | lookups that found the closest honest node | S/Kademlia formula | lies answered |");
        output.WriteLine("|---:|---:|---:|---:|---:|");
        var values = new List<string>();
        foreach (var m in fractions)
        {
            var result = new EclipseExperiment(new EclipseSettings(nodes, m, keys, sybilsPerKey, sybilBits, lookups, paths, gets, quorums, seed, Configure), matrix!, output).Run();
            foreach (var d in paths)
            {
                var formula = Formula(clean.Hops, m, d);
                output.WriteLine(string.Create(c, $"| {m:P0} | {d} | {result.LookupSuccess[d]:P1} | {formula:P1} | {result.Lies} |"));
                rows.Add(string.Create(c, $"{m},{d},{result.LookupSuccess[d]:F4},{formula:F4}"));
            }

            foreach (var ((d, q), rate) in result.GetSuccess.OrderBy(p => p.Key))
            {
                values.Add(string.Create(c, $"| {m:P0} | {d} | {q} | {rate:P1} |"));
            }
        }

        if (values.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(string.Create(c, $"reads of a value its publisher updated once ({gets} per d and quorum): the latest value returned"));
            output.WriteLine("| m | d | quorum | reads that returned the latest value |");
            output.WriteLine("|---:|---:|---:|---:|");
            foreach (var line in values)
            {
                output.WriteLine(line);
            }
        }

        if (csv is not null)
        {
            File.WriteAllLines(csv, rows);
            output.WriteLine($"curve written to {csv}");
        }

        return 0;
    }

    /// <summary>S/Kademlia (Baumgart and Mies, 2007, §5): P = Σ h_i (1 − (1 − (1 − m)^i)^d).</summary>
    internal static double Formula(SortedDictionary<int, int> hops, double m, int d)
    {
        var total = hops.Values.Sum();
        var p = 0.0;
        foreach (var (i, count) in hops)
        {
            p += count / (double)total * (1 - Math.Pow(1 - Math.Pow(1 - m, i), d));
        }

        return p;
    }

    private static bool Add(List<string> list, string item)
    {
        list.Add(item);
        return true;
    }

    private static bool TryList<T>(string text, Func<string, T?> parse, out T[] list)
        where T : struct
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        list = new T[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parse(parts[i]) is not { } v)
            {
                return false;
            }

            list[i] = v;
        }

        return parts.Length > 0;
    }
}
