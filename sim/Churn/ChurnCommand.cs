using System.Diagnostics;
using System.Globalization;

namespace Overlay.Sim.Churn;

/// <summary><c>Overlay.Sim churn</c>: parses the arguments of a <see cref="ChurnRun"/>, prints its summary and writes its samples as CSV.</summary>
internal static class ChurnCommand
{
    public const string Usage = "usage: Overlay.Sim churn [--nodes 200] [--shards 2000] [--shard-bytes 16384] [--hours 24] [--shape 0.59] [--scale-hours 2.5] [--no-churn] "
        + "[--droppers 0] [--sample-minutes 30] [--fetches 100] [--placement closest|trust] [--probe-seconds 2] [--audit-minutes 60] [--audit-at-store 1] [--probation-minutes 60] [--no-repair] [--seed 1] [--csv FILE] "
        + "[--model A|B|C|D] [--camouflage 0.5] [--spies 0.25] [--row-minutes 30] [--place-per-sample 0] [--no-trust-exchange] [--flat-evidence] "
        + "[--malicious-bootstrap] [--pre-trust-cap 0.1] [--keep-pre-trust] [--holder-share-cap 3] [--trust-rows 32] --latency PATH";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var s = new ChurnSettings();
        string? latency = null, csv = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var flag = args[i] is "--no-churn" or "--no-repair" or "--no-trust-exchange" or "--flat-evidence" or "--malicious-bootstrap" or "--keep-pre-trust";
            var ok = args[i] switch
            {
                "--nodes" => Int(value, 4, 1_000_000, n => s = s with { Nodes = n }),
                "--shards" => Int(value, 1, 10_000_000, n => s = s with { Shards = n }),
                "--shard-bytes" => Int(value, 1, 4 << 20, n => s = s with { ShardBytes = n }),
                "--hours" => Real(value, 0.01, 1000, h => s = s with { Duration = TimeSpan.FromHours(h) }),
                "--shape" => Real(value, 0.05, 20, k => s = s with { WeibullShape = k }),
                "--scale-hours" => Real(value, 0.001, 10_000, h => s = s with { WeibullScale = TimeSpan.FromHours(h) }),
                "--droppers" => Real(value, 0, 0.9, f => s = s with { Droppers = f }),
                "--sample-minutes" => Real(value, 0.1, 10_000, m => s = s with { SampleEvery = TimeSpan.FromMinutes(m) }),
                "--fetches" => Int(value, 0, 1_000_000, n => s = s with { FetchesPerSample = n }),
                "--placement" => value is "closest" or "trust" && Do(() => s = s with { Placement = value }),
                "--probe-seconds" => Real(value, 0.1, 3600, p => s = s with { ProbeInterval = TimeSpan.FromSeconds(p) }),
                "--probation-minutes" => Real(value, 0, 43_200, m => s = s with { ProbationPeriod = TimeSpan.FromMinutes(m) }),
                "--audit-minutes" => Real(value, 1.0 / 60, 43_200, m => s = s with { AuditInterval = TimeSpan.FromMinutes(m) }),
                "--audit-at-store" => Int(value, 1, new Overlay.Node.Configuration.ShardExchangeOptions().AuditChallengesPerHolder, n => s = s with { AuditChallengesAtStore = n }),
                "--seed" => Int(value, 0, int.MaxValue, n => s = s with { Seed = n }),
                "--csv" => (csv = value) is not null,
                "--latency" => (latency = value) is not null,
                "--no-churn" => Do(() => s = s with { Churn = false }),
                "--no-repair" => Do(() => s = s with { Repair = false }),
                "--no-trust-exchange" => Do(() => s = s with { TrustExchange = false }),
                "--flat-evidence" => Do(() => s = s with { FlatEvidence = true }),
                "--model" => Enum.TryParse<Overlay.Sim.Trust.ThreatModel>(value, out var model) && value is "A" or "B" or "C" or "D" && Do(() => s = s with { Model = model }),
                "--camouflage" => Real(value, 0, 1, f => s = s with { Camouflage = f }),
                "--spies" => Real(value, 0, 1, f => s = s with { SpyShare = f }),
                "--malicious-bootstrap" => Do(() => s = s with { MaliciousBootstrap = true }),
                "--keep-pre-trust" => Do(() => s = s with { RevokePreTrust = false }),
                "--pre-trust-cap" => Real(value, 0.01, 0.5, f => s = s with { PreTrustCap = f }),
                "--holder-share-cap" => Real(value, 1, 1000, f => s = s with { HolderShareCap = f }),
                "--trust-rows" => Int(value, 0, 1 << 20, n => s = s with { MaxTrustRecords = n }),
                "--row-minutes" => Real(value, 1.0 / 60, 43_200, m => s = s with { RowEvery = TimeSpan.FromMinutes(m) }),
                "--place-per-sample" => Int(value, 0, 1_000_000, n => s = s with { PlacementsPerSample = n }),
                _ => false,
            };
            if (!ok)
            {
                error.WriteLine($"The argument '{args[i]}' (value '{value}') is not understood or out of range.");
                error.WriteLine(Usage);
                return 2;
            }

            i += flag ? 0 : 1;
        }

        if (!LatencyFile.TryRead(latency, error, out var matrix))
        {
            return 2;
        }

        var wall = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        // The CSV gets each sample as it is taken: a run of many virtual hours stopped early keeps what it measured.
        using var samples = csv is null ? null : new StreamWriter(csv) { AutoFlush = true };
        samples?.WriteLine(ChurnSample.CsvHeader);
        var result = new ChurnRun(s, matrix, output, x => samples?.WriteLine(x.ToCsv())).Run();
        Report(result, output);
        output.WriteLine(Invariant($"wall {wall.Elapsed.TotalSeconds:F1} s, CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s"));
        return 0;
    }

    public static void Report(ChurnResult result, TextWriter output)
    {
        var s = result.Settings;
        output.WriteLine(Invariant($"{s.Nodes} nodes, {s.Shards} shards of {s.ShardBytes} bytes, r = {s.Replicas}, {s.Duration.TotalHours:F1} h virtual, seed {s.Seed}; placement {s.Placement}, trust rows held at most {s.MaxTrustRecords ?? new Overlay.Placement.PlacementOptions().MaxTrustRecords}, probe every {s.ProbeInterval.TotalSeconds:F1} s, audit every {s.AuditInterval.TotalMinutes:F0} min ({s.AuditChallengesAtStore ?? new Overlay.Node.Configuration.ShardExchangeOptions().AuditChallengesAtStore} challenges per holder at store), repair {(s.Repair ? "on" : "off")}"));
        output.WriteLine(s.Churn
            ? Invariant($"churn: Weibull sessions, shape {s.WeibullShape}, scale {s.WeibullScale.TotalHours} h; {result.Departures} departures ({100 * result.ChurnPerHour:F1} % of the nodes per hour), each replaced at once by a new node")
            : "churn: none");
        output.WriteLine(Invariant($"droppers: {100 * s.Droppers:F0} % of the nodes; owners' books listed {result.DropperHoldingsAtStart} holdings on droppers after placement, {result.DropperHoldingsAtEnd} at the end"));
        if (s.Droppers > 0)
        {
            output.WriteLine(Invariant($"trust: {result.Trust.Owners} owners; mean trust in droppers {result.Trust.Dropper:E3}, in honest peers {result.Trust.Honest:E3}; {result.Trust.OwnersTrustingDroppersLess} owners trust droppers less than honest peers on average"));
        }

        if (s.Model is { } model)
        {
            output.WriteLine(Invariant($"threat model {model}: {100 * s.Droppers:F0} % malicious (camouflage {s.Camouflage}, spies {s.SpyShare}), rows signed every {s.RowEvery.TotalMinutes:F0} min; trust/1 {(s.TrustExchange ? "on" : "off")}; evidence {(s.FlatEvidence ? "flat" : "weighed")}"));
            output.WriteLine(Invariant($"bootstrap node 0 (every node's pre-trusted peer): {result.BootstrapRole}; pre-trust: node 0's share of p capped at {s.PreTrustCap ?? new Overlay.Placement.PlacementOptions().PreTrustedPeerShareCap:F2}, revoked on own evidence {(s.RevokePreTrust ? "yes" : "no")}, holder share cap {s.HolderShareCap ?? new Overlay.Placement.PlacementOptions().HolderShareCap:F1}; owners pre-trusting node 0 at the end: {result.Trust.OwnersPreTrustingBootstrap} of {result.Trust.Owners}"));
            output.WriteLine(Invariant($"placed at samples, second half: {result.Measured.Holders} holders, {100 * result.PlacedOnMaliciousShare:F1} % on malicious nodes, {100.0 * result.Measured.OnDroppers / Math.Max(1, result.Measured.Holders):F1} % on those that drop; holdings on malicious nodes at the end {result.DropperHoldingsAtEnd} of {result.HoldingsAtEnd} ({100 * result.HeldOnMaliciousShare:F1} %), on those that delete {result.DeleterHoldingsAtEnd} ({100.0 * result.DeleterHoldingsAtEnd / Math.Max(1, result.HoldingsAtEnd):F1} %)"));
        }

        output.WriteLine(Invariant($"load at the end: the busiest holder lists {result.BusiestHolderAtEnd} holdings, {result.LoadConcentration:F2} times the mean of {(double)result.HoldingsAtEnd / s.Nodes:F1} per node; node 0 {result.BootstrapHoldingsAtEnd} ({100 * result.HeldOnBootstrapShare:F1} %)"));
        output.WriteLine(Invariant($"availability of present owners' shards: min {100 * result.MinAvailability:F3} %, over all samples {100 * result.MeanAvailability:F3} %; fetched through the network: {result.Samples.Sum(x => x.FetchedOk)} of {result.Samples.Sum(x => x.Fetched)}"));
        output.WriteLine(Invariant($"placements: {result.PlacedByJoiners} by joining nodes, {result.FailedPlacements} failed"));
        output.WriteLine(Invariant($"probation ({(s.ProbationPeriod ?? new Overlay.Node.Configuration.ShardExchangeOptions().ProbationPeriod).TotalMinutes:F0} min): owners kept {result.Probation.Kept} copies, released {result.Probation.Released}; {result.Probation.Failures} audits failed by holders on probation; shards still on probation at the end {result.Samples.LastOrDefault()?.InProbation ?? 0}"));
        output.WriteLine(Invariant($"repairs: {result.Repairs} ended, {result.NewHolders} new holders; {result.RepairBytesPerNodeHour:F0} shard bytes copied per node per hour; {result.NetworkBytesPerNodeHour:F0} bytes delivered per node per hour (all protocols)"));
    }

    private static bool Do(Action set)
    {
        set();
        return true;
    }

    private static bool Int(string? value, int min, int max, Action<int> set)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            set(n);
            return true;
        }

        return false;
    }

    private static bool Real(string? value, double min, double max, Action<double> set)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x >= min && x <= max)
        {
            set(x);
            return true;
        }

        return false;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
