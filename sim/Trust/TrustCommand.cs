using System.Globalization;
using Overlay.Dht.Coordinates;
using Overlay.Placement;

namespace Overlay.Sim.Trust;

/// <summary>
/// <c>Overlay.Sim trust …</c>: runs the EigenTrust threat models on the placement library, trust on and off,
/// over lists of models, malicious shares and weight exponents, and prints one table row per run (and a
/// tab-separated file for plotting with <c>--tsv</c>).
/// </summary>
internal static class TrustCommand
{
    public const string Usage =
        "usage: Overlay.Sim trust [--peers 1000] [--rounds 48] [--seed 1] [--models A,B,C,D] [--malicious 0.1,0.2,...,0.7] " +
        "[--trust on|off|both] [--exponents α,β,γ[;α,β,γ...]] [--newcomer-share 0.05] [--pre-trust-weight 0.5] [--trust-cap 2] [--camouflage 0.5] " +
        "[--spies 0.25] [--replicas 3 (0: the replication rule)] [--objects 4] [--background 4] [--audits 12] [--records plain|signed|unchecked] [--demand PEAK_READS_PER_HOUR (0)] [--latency PATH] [--tsv FILE]";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var peers = 1000;
        var rounds = 48;
        var seed = 1;
        var models = new List<ThreatModel> { ThreatModel.A, ThreatModel.B, ThreatModel.C, ThreatModel.D };
        var shares = new List<double> { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 };
        var trustModes = new List<bool> { true, false };
        var defaults = new PlacementOptions();
        var exponents = new List<(double Alpha, double Beta, double Gamma)> { (defaults.TrustExponent, defaults.PerformanceExponent, defaults.CapacityExponent) };
        var newcomerShare = defaults.NewcomerShare;
        var preTrustWeight = defaults.PreTrustWeight;
        var trustCap = defaults.TrustCap;
        var camouflage = 0.5;
        var spies = 0.25;
        var replicas = 3;
        var objects = 4;
        var background = 4;
        var audits = 12;
        var records = TrustRecordMode.Plain;
        var demand = 0.0;
        string? latency = null;
        string? tsv = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var ok = value is not null && args[i] switch
            {
                "--peers" => TryInt(value, 10, 100_000, out peers),
                "--rounds" => TryInt(value, 2, 10_000, out rounds),
                "--seed" => TryInt(value, 0, int.MaxValue, out seed),
                "--models" => TryList<ThreatModel>(value, TryModel, out models),
                "--malicious" => TryList(value, (string t, out double v) => TryDouble(t, 0, 0.95, out v), out shares),
                "--trust" => TryTrust(value, out trustModes),
                "--exponents" => TryList(value, TryExponents, out exponents, ';'),
                "--newcomer-share" => TryDouble(value, 0, 0.5, out newcomerShare),
                "--pre-trust-weight" => TryDouble(value, 0.01, 0.99, out preTrustWeight),
                "--trust-cap" => TryDouble(value, 1, 1000, out trustCap),
                "--camouflage" => TryDouble(value, 0, 1, out camouflage),
                "--spies" => TryDouble(value, 0, 1, out spies),
                "--replicas" => TryInt(value, 0, 20, out replicas),
                "--objects" => TryInt(value, 1, 1000, out objects),
                "--background" => TryInt(value, 0, 1000, out background),
                "--audits" => TryInt(value, 0, 1000, out audits),
                "--records" => Enum.TryParse(value, ignoreCase: true, out records) && Enum.IsDefined(records) && !int.TryParse(value, out _),
                "--demand" => TryDouble(value, 0, 1e9, out demand),
                "--latency" => (latency = value) is not null,
                "--tsv" => (tsv = value) is not null,
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

        Func<int, int, double> rtt;
        if (latency is not null)
        {
            if (!File.Exists(latency))
            {
                error.WriteLine($"The latency matrix '{latency}' does not exist; pass --latency PATH to an RTT matrix in milliseconds.");
                return 2;
            }

            if (!LatencyMatrix.TryParse(File.ReadAllText(latency), 1.0, out var matrix, out var problem))
            {
                error.WriteLine($"The latency matrix '{latency}' was refused: {problem}");
                return 2;
            }

            // Peer i sits on host i mod hosts; a zero entry (one host to itself) counts as half a millisecond.
            rtt = (i, j) => Math.Max(0.5, matrix![i % matrix.Count, j % matrix.Count]);
        }
        else
        {
            var plane = new Random(seed);
            var points = Enumerable.Range(0, peers).Select(_ => (X: plane.NextDouble() * 200, Y: plane.NextDouble() * 200)).ToArray();
            rtt = (i, j) => 2 + Math.Sqrt(Math.Pow(points[i].X - points[j].X, 2) + Math.Pow(points[i].Y - points[j].Y, 2));
        }

        using var table = tsv is null ? null : new StreamWriter(tsv);
        table?.WriteLine("model\tmalicious\ttrust\talpha\tbeta\tgamma\ta\tcap\ton_malicious\ton_misbehaving\tshards_lost\tmean_rtt_ms\tmax_load\tpre_trusted_share\tmalicious_trust\thonest_rows_on_malicious\treplicas");
        // The demand columns only when there is demand, so the runs without it print what they always printed.
        output.WriteLine("| model | malicious | trust | α,β,γ | a | κ | on malicious | on misbehaving | shards lost | mean RTT ms | max load | on pre-trusted | malicious trust | honest rows on malicious | r | wall s |"
            + (demand > 0 ? " raised for demand | max reads/h per replica | max read load |" : ""));
        output.WriteLine("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + (demand > 0 ? "---:|---:|---:|" : ""));
        var recordLines = new List<string>();
        foreach (var (alpha, beta, gamma) in exponents)
        {
            var options = new PlacementOptions
            {
                TrustExponent = alpha,
                PerformanceExponent = beta,
                CapacityExponent = gamma,
                NewcomerShare = newcomerShare,
                PreTrustWeight = preTrustWeight,
                TrustCap = trustCap,
            };
            foreach (var model in models)
            {
                foreach (var share in shares)
                {
                    foreach (var trustOn in trustModes)
                    {
                        var settings = new TrustRunSettings(model, share, trustOn, peers, rounds, seed, options, camouflage, spies,
                            Replicas: replicas, ObjectsPerRound: objects, BackgroundExchanges: background, AuditsPerRound: audits, Records: records, PeakReadsPerHour: demand);
                        var r = new TrustNetworkRun(settings, rtt).Run();
                        var e = FormattableString.Invariant($"{alpha:0.##},{beta:0.##},{gamma:0.##}");
                        output.WriteLine(FormattableString.Invariant(
                            $"| {model} | {share:P0} | {(trustOn ? "on" : "off")} | {e} | {preTrustWeight} | {trustCap} | {r.OnMalicious:P1} | {r.OnMisbehaving:P1} | {r.ShardsLost:P2} | {r.MeanRttMs:F0} | {r.MaxLoad:F1} | {r.PreTrustedShare:P1} | {r.MaliciousTrust:F3} | {r.HonestRowsOnMalicious:F3} | {r.MeanReplicas:F1} | {r.WallSeconds:F0} |")
                            + (demand > 0 ? FormattableString.Invariant($" {r.RaisedForDemand:P1} | {r.MaxReadsPerReplica:F0} | {r.MaxReadLoad:F1} |") : ""));
                        if (records != TrustRecordMode.Plain)
                        {
                            recordLines.Add(FormattableString.Invariant(
                                $"{model} {share:P0} trust {(trustOn ? "on" : "off")}, records {records.ToString().ToLowerInvariant()}: {r.RecordsAccepted} accepted, {r.RecordsRefused} refused, {r.ForgeriesTaken} forgeries taken unchecked"));
                        }

                        table?.WriteLine(FormattableString.Invariant(
                            $"{model}\t{share}\t{(trustOn ? "on" : "off")}\t{alpha}\t{beta}\t{gamma}\t{preTrustWeight}\t{trustCap}\t{r.OnMalicious:F5}\t{r.OnMisbehaving:F5}\t{r.ShardsLost:F6}\t{r.MeanRttMs:F1}\t{r.MaxLoad:F2}\t{r.PreTrustedShare:F5}\t{r.MaliciousTrust:F5}\t{r.HonestRowsOnMalicious:F5}\t{r.MeanReplicas:F2}"));
                        table?.Flush();
                    }
                }
            }
        }

        output.WriteLine();
        foreach (var line in recordLines)
        {
            output.WriteLine(line);
        }

        return 0;
    }

    private delegate bool Parser<T>(string text, out T value);

    private static bool TryInt(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TryDouble(string text, double min, double max, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TryModel(string text, out ThreatModel model) =>
        Enum.TryParse(text, ignoreCase: true, out model) && Enum.IsDefined(model);

    private static bool TryExponents(string text, out (double, double, double) exponents)
    {
        exponents = default;
        var parts = text.Split(',');
        if (parts.Length != 3 || !TryDouble(parts[0], 0, 8, out var a) || !TryDouble(parts[1], 0, 8, out var b) || !TryDouble(parts[2], 0, 8, out var g))
        {
            return false;
        }

        exponents = (a, b, g);
        return true;
    }

    private static bool TryTrust(string text, out List<bool> modes)
    {
        modes = text switch
        {
            "on" => [true],
            "off" => [false],
            "both" => [true, false],
            _ => [],
        };
        return modes.Count > 0;
    }

    private static bool TryList<T>(string text, Parser<T> parse, out List<T> values, char separator = ',')
    {
        values = [];
        foreach (var part in text.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!parse(part, out var value))
            {
                return false;
            }

            values.Add(value);
        }

        return values.Count > 0;
    }
}
