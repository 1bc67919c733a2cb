using System.Diagnostics;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Node.Hosting;
using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Interactions;
using static System.FormattableString;

namespace Overlay.Sim.Trust;

/// <summary>
/// <c>Overlay.Sim trust-exchange</c>: whole nodes (every service the daemon runs, <c>trust/1</c> included, at the
/// daemon's defaults) on the PlanetLab matrix for some virtual hours, doing DHT lookups; reports what each node's
/// signed records weigh, how many rows each holds, and the <c>trust/1</c> bytes per node and hour each way.
/// </summary>
internal static class TrustExchangeCommand
{
    public const string Usage = "usage: Overlay.Sim trust-exchange [--nodes 200] [--hours 4] [--lookups-per-hour 4] [--seed 1] --latency PATH";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        int nodes = 200, hours = 4, lookups = 4, seed = 1;
        string? latency = null;
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var ok = args[i] switch
            {
                "--nodes" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out nodes) && nodes >= 4,
                "--hours" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out hours) && hours >= 1,
                "--lookups-per-hour" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out lookups),
                "--seed" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed),
                "--latency" => (latency = value) is not null,
                _ => false,
            };
            if (!ok)
            {
                error.WriteLine($"The argument '{args[i]}' (value '{value}') is not understood; --nodes ≥ 4, --hours ≥ 1, --lookups-per-hour ≥ 0, --seed ≥ 0.");
                error.WriteLine(Usage);
                return 2;
            }
        }

        if (latency is null || !File.Exists(latency) || !LatencyMatrix.TryParse(File.ReadAllText(latency), 1.0, out var matrix, out _))
        {
            error.WriteLine($"The latency matrix '{latency}' does not exist or does not parse; pass --latency PATH to an RTT matrix in milliseconds.");
            return 2;
        }

        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var net = new InMemoryNetwork(clock, seed, new MatrixLatencyModel(DhtNetworkRun.RttTable(matrix!)), failOnForeignPosts: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var whole = new WholeNodeNetwork(net, nodes, DhtNetworkRun.DefaultOptions(preferLowLatency: true), new TransportOptions(), seed);
        var keys = new Random(seed);
        whole.StartFirstBuildRest([.. Enumerable.Range(0, nodes).Select(_ => NodeIdentity.FromRandom(keys))], TimeSpan.FromHours(hours + 2));
        var random = new Random(seed + 1);
        DateTimeOffset formed = default;
        var pulledAtFormation = new long[nodes];
        var servedAtFormation = new long[nodes];
        net.Run(async () =>
        {
            for (var start = 1; start < nodes; start += 32)
            {
                await whole.StartAndJoinAsync(start, Math.Min(nodes, start + 32));
            }

            formed = clock.GetUtcNow();
            for (var hour = 0; hour < hours; hour++)
            {
                for (var i = 0; i < lookups * nodes; i++)
                {
                    _ = whole.Nodes[random.Next(nodes)].Dht.Node!.FindClosestAsync(PeerId.Random(random), CancellationToken.None);
                    await Task.Delay(TimeSpan.FromHours(1) / (lookups * nodes), clock);
                }

                if (lookups == 0)
                {
                    await Task.Delay(TimeSpan.FromHours(1), clock);
                }

                output.WriteLine(Invariant($"hour {hour + 1}: records held per node {whole.Nodes.Average(n => n.Trust.Records.Book.Count):F1}"));
            }
        }, TimeSpan.FromHours(hours + 2));

        var elapsedHours = (clock.GetUtcNow() - formed).TotalHours;
        var metrics = whole.Nodes.Select(n => n.Trust.ExchangeMetrics).ToArray();
        var own = whole.Nodes.Select(n => n.Trust.Records.Own).OfType<TrustRecord>().ToArray();
        var sizes = own.Select(TrustRecordCodec.EncodedLength).OrderBy(s => s).ToArray();
        var entries = own.Select(r => r.Vector.Count).OrderBy(e => e).ToArray();
        var held = whole.Nodes.Select(n => n.Trust.Records.Book.Count).OrderBy(h => h).ToArray();
        output.WriteLine(Invariant($"{nodes} whole nodes, {elapsedHours:F1} h virtual after formation, {lookups} lookups per node and hour, seed {seed}"));
        output.WriteLine(Invariant($"own records: entries median {entries[entries.Length / 2]} (min {entries[0]}, max {entries[^1]}); bytes median {sizes[sizes.Length / 2]} (min {sizes[0]}, max {sizes[^1]}); identity key {IdentityPublicKey.HybridEncodedSize} B, sent once per issuer"));
        output.WriteLine(Invariant($"records held per node: median {held[held.Length / 2]} (min {held[0]}, max {held[^1]}) of {nodes - 1} other nodes"));
        output.WriteLine(Invariant($"trust/1 per node and hour: received {metrics.Average(m => m.BytesPulled) / elapsedHours / 1024:F1} KiB, requests sent {metrics.Average(m => m.BytesRequested) / elapsedHours / 1024:F2} KiB, answers served {metrics.Average(m => m.BytesServed) / elapsedHours / 1024:F1} KiB; records fetched {metrics.Average(m => m.RecordsFetched) / elapsedHours:F1}"));
        output.WriteLine(Invariant($"pulls: {metrics.Sum(m => m.PullTotal(InteractionResult.Succeeded))} succeeded, {metrics.Sum(m => m.PullTotal(InteractionResult.Refused))} refused, {metrics.Sum(m => m.PullTotal(InteractionResult.InvalidReply))} invalid, {metrics.Sum(m => m.PullTotal(InteractionResult.TimedOut) + m.PullTotal(InteractionResult.Unreachable))} failed"));
        var rejected = string.Join(", ", Enum.GetValues<TrustRecordRejection>().Where(r => r != TrustRecordRejection.None)
            .Select(r => (r, n: whole.Nodes.Sum(node => node.Trust.PlacementMetrics.RecordsRejected(r)))).Where(p => p.n > 0).Select(p => Invariant($"{p.r} {p.n}")));
        output.WriteLine(Invariant($"records accepted {whole.Nodes.Sum(n => n.Trust.PlacementMetrics.RecordsAccepted)}, refused: {(rejected.Length == 0 ? "none" : rejected)}"));
        output.WriteLine(Invariant($"CPU time of the whole run {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s"));
        return 0;
    }
}
