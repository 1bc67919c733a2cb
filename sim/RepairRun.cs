using System.Diagnostics;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim;

/// <summary>
/// Whole nodes keep shards through a mass failure: every shard (real random bytes) is placed by a random
/// owner on <c>r</c> holders, then a fraction of all nodes is killed at once, the survivors' maintenance
/// detects and repairs, and every shard is fetched, verified, by a live node that is not its owner (so
/// it finds holders through provider records), <see cref="RepairSettings.ParallelReads"/> at once. Reports
/// retrievability, detection and repair-start times after the kill (virtual), and bytes moved; what the owners'
/// probes and the provider-record checks cost; and how long the reads took.
/// </summary>
internal sealed class RepairRun(RepairSettings settings, LatencyMatrix matrix, TextWriter output)
{
    public RepairRunResult Run()
    {
        int nodes = settings.Nodes, shards = settings.Shards, shardBytes = settings.ShardBytes, seed = settings.Seed, providerCache = settings.ProviderCache;
        var (kill, repair, eventDigest, progress) = (settings.Kill, settings.Repair, settings.EventDigest, settings.Progress);
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var net = new InMemoryNetwork(clock, seed, new MatrixLatencyModel(DhtNetworkRun.RttTable(matrix)), digestEvents: eventDigest, failOnForeignPosts: true)
        {
            DeadHostDialDelay = settings.DeadDialDelay,
        };
        var exchange = new ShardExchangeOptions { RepairEnabled = repair, AuditInterval = TimeSpan.FromMinutes(10) };
        var wall = Stopwatch.StartNew();
        var dht = DhtNetworkRun.DefaultOptions(preferLowLatency: true);
        dht.CheckedProviderRecords = providerCache;
        using var whole = new WholeNodeNetwork(net, nodes, dht, new TransportOptions(), seed, exchange);
        var keys = new Random(seed);
        var limit = TimeSpan.FromHours(6);
        whole.StartFirstBuildRest([.. Enumerable.Range(0, nodes).Select(_ => NodeIdentity.FromRandom(keys))], limit);

        var random = new Random(seed + 1);
        var data = new byte[shards][];
        var owners = new int[shards];
        var ids = new ShardId[shards];
        var dead = new bool[nodes];
        var records = new List<RepairRecord>();
        var placedShort = 0;
        BoundedReads<ShardRead>? reads = null;
        var readBack = TimeSpan.Zero;
        long bytesBefore = 0, bytesAfter = 0;
        var noLiveCopy = new bool[shards];
        DateTimeOffset killedAt = default, windowEnd = default;
        var placementCpu = TimeSpan.Zero;
        long placementStores = 0, placementStoreBytes = 0, placementVerified = 0;
        var phase = "forming";
        using var stopProgress = new CancellationTokenSource();
        net.Run(async () =>
        {
            var progressLoop = progress > TimeSpan.Zero ? RepairProgress.RunAsync(whole, net, progress, () => phase, wall, output, stopProgress.Token) : Task.CompletedTask;
            for (var start = 1; start < nodes; start += 32)
            {
                await whole.StartAndJoinAsync(start, Math.Min(nodes, start + 32));
            }

            output.WriteLine(Invariant($"formed {nodes} whole nodes in {clock.Elapsed.TotalSeconds:F0} s virtual, {wall.Elapsed.TotalSeconds:F1} s wall"));
            for (var i = 0; i < nodes; i++)
            {
                // A killed owner's own loops go on in the simulator and suspect every holder it can no
                // longer reach: only live owners' repairs are measured.
                var owner = i;
                whole.Nodes[i].ShardMaintenance.RepairObserved = r =>
                {
                    if (!dead[owner])
                    {
                        records.Add(r);
                    }
                };
            }

            // Placement: 64 puts at a time, each by a random owner. Its CPU (the process's, all threads) runs to the end of the announcements.
            phase = "placing";
            placementCpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var s = 0; s < shards; s++)
            {
                data[s] = new byte[shardBytes];
                random.NextBytes(data[s]);
                owners[s] = random.Next(nodes);
            }

            for (var start = 0; start < shards; start += 64)
            {
                var puts = new List<Task<PutOutcome>>();
                for (var s = start; s < Math.Min(shards, start + 64); s++)
                {
                    puts.Add(whole.Nodes[owners[s]].ShardExchange.Owner!.PutAsync(data[s], CancellationToken.None));
                }

                var outcomes = await Task.WhenAll(puts);
                for (var k = 0; k < outcomes.Length; k++)
                {
                    ids[start + k] = outcomes[k].Id;
                    placedShort += outcomes[k].Holders.Count < exchange.Replicas ? 1 : 0;
                }
            }

            // Let the announcements of the new holders go out (10 a second per holder).
            phase = "announcing";
            await Task.Delay(TimeSpan.FromMinutes(2), clock);
            placementCpu = Process.GetCurrentProcess().TotalProcessorTime - placementCpu;
            foreach (var node in whole.Nodes)
            {
                placementStores += node.Dht.Node?.Metrics.ProviderStoresSent ?? 0;
                placementStoreBytes += node.Dht.Node?.Metrics.ProviderStoreBytesSent ?? 0;
                placementVerified += node.Dht.Node?.ProviderChecks.Misses ?? 0;
            }

            output.WriteLine(Invariant($"placement and announcements: {placementCpu.TotalSeconds:F2} s CPU (process); {placementStores} provider STOREs sent, {placementStoreBytes} bytes; {placementVerified} provider signatures verified"));
            output.WriteLine(Invariant($"placed {shards} shards of {shardBytes} bytes, r = {exchange.Replicas} ({placedShort} on fewer holders) by {clock.Elapsed.TotalSeconds:F0} s virtual, {wall.Elapsed.TotalSeconds:F1} s wall"));

            var victims = Enumerable.Range(0, nodes).OrderBy(_ => random.Next()).Take((int)(nodes * kill)).ToList();
            bytesBefore = net.BytesDelivered;
            killedAt = clock.GetUtcNow();
            foreach (var v in victims)
            {
                dead[v] = true;
                whole.Transports[v].Kill();
            }

            phase = "after the kill";
            // Shards no live node keeps at the moment of the kill: all their copies died together, so nothing can repair them.
            var keptAlive = new HashSet<ShardId>();
            for (var i = 0; i < nodes; i++)
            {
                if (!dead[i])
                {
                    await foreach (var info in whole.Nodes[i].ShardStore.Store.EnumerateAsync())
                    {
                        keptAlive.Add(info.Id);
                    }
                }
            }

            for (var s = 0; s < shards; s++)
            {
                noLiveCopy[s] = !keptAlive.Contains(ids[s]);
            }

            await Task.Delay(TimeSpan.FromMinutes(5), clock);
            windowEnd = clock.GetUtcNow();
            bytesAfter = net.BytesDelivered;
            // Each shard's reader is drawn in shard order, whatever order the reads end in.
            var readers = new int[shards];
            for (var s = 0; s < shards; s++)
            {
                var reader = random.Next(nodes);
                while (dead[reader] || reader == owners[s])
                {
                    reader = (reader + 1) % nodes;
                }

                readers[s] = reader;
            }

            var done = 0;
            phase = Invariant($"read-back 0 of {shards}");
            reads = await BoundedReadBack.RunAsync(shards, settings.ParallelReads, async s =>
            {
                var read = await ReadAsync(whole, clock, ids[s], data[s], readers[s], owners[s], dead, exchange.Replicas, windowEnd);
                phase = Invariant($"read-back {++done} of {shards}");
                return read;
            });
            readBack = clock.GetUtcNow() - windowEnd;
            // Cancel, not CancelAsync: the latter runs the progress loop's delay callback on the thread pool, and the
            // scheduler refuses a continuation from off its thread (the run would not be reproducible).
#pragma warning disable CA1849
            stopProgress.Cancel();
#pragma warning restore CA1849
            await progressLoop;
        }, limit);

        var killed = dead.Count(d => d);
        var read = reads!.Results;
        var retrievable = read.Count(r => r.Retrieved);
        var ownerAlive = read.Count(r => r.OwnerAlive);
        var retrievableOwnerAlive = read.Count(r => r.Retrieved && r.OwnerAlive);
        var fullyReplicated = read.Count(r => r.FullyReplicated);
        var tally = RepairTally.Of(records, killedAt, windowEnd);
        var ended = tally.Ended;
        var detection = tally.Detection;
        var starts = tally.Starts;
        var moved = tally.BytesMoved;
        output.WriteLine(Invariant($"killed {killed} of {nodes} nodes at once; repair {(repair ? "on" : "off")}; 5 min virtual later:"));
        output.WriteLine(Invariant($"retrievable {retrievable} of {shards} ({100.0 * retrievable / shards:F2} %); owner alive: {retrievableOwnerAlive} of {ownerAlive} ({(ownerAlive == 0 ? 0 : 100.0 * retrievableOwnerAlive / ownerAlive):F2} %); owner killed: {retrievable - retrievableOwnerAlive} of {shards - ownerAlive}"));
        var lost = noLiveCopy.Count(l => l);
        var survivorsRetrievable = read.Where((r, s) => r.Retrieved && !noLiveCopy[s]).Count();
        output.WriteLine(Invariant($"with a copy on a live node at the kill: {shards - lost} of {shards}, retrievable {survivorsRetrievable} ({(shards == lost ? 0 : 100.0 * survivorsRetrievable / (shards - lost)):F2} %); every copy on a killed node: {lost}"));
        output.WriteLine(Invariant($"owner alive and r = {exchange.Replicas} live holders in its book: {fullyReplicated} of {ownerAlive}"));
        output.WriteLine(Invariant($"repairs ended in the 5 min after the kill: {ended.Count}, {ended.Count(r => r.Result.Added > 0)} placed a new holder, {tally.FirstStarts.Count} shards repaired; outcomes: {string.Join("; ", ended.GroupBy(r => r.Result.Detail).Select(g => $"{g.Key} × {g.Count()}"))}; {tally.Later} more ended during the read-back (not counted)"));
        if (detection.Length > 0)
        {
            output.WriteLine(Invariant($"detection after the kill, per repaired shard (virtual): p50 {P(detection, 0.5):F0} ms p99 {P(detection, 0.99):F0} ms max {detection[^1]:F0} ms"));
        }

        if (starts.Length > 0)
        {
            output.WriteLine(Invariant($"repair started after the kill, per repaired shard (virtual): p50 {P(starts, 0.5):F0} ms p99 {P(starts, 0.99):F0} ms max {starts[^1]:F0} ms"));
        }

        output.WriteLine(Invariant($"bytes moved: {moved} shard bytes copied by new holders ({tally.NewHolders} new holders, {(double)moved / Math.Max(1, tally.NewHolders):F0} bytes each); {bytesAfter - bytesBefore} bytes delivered on the network in the 5 min after the kill (all protocols)"));
        long probes = 0, singleProbes = 0, onClose = 0, verified = 0, remembered = 0, providerStores = 0, providerStoreBytes = 0;
        foreach (var node in whole.Nodes)
        {
            probes += node.ShardExchange.Metrics.ProbesSent;
            singleProbes += node.ShardExchange.Metrics.ProbeFallbacks;
            onClose += node.ShardExchange.Metrics.ProbesOnClose;
            verified += node.Dht.Node?.ProviderChecks.Misses ?? 0;
            remembered += node.Dht.Node?.ProviderChecks.Hits ?? 0;
            providerStores += node.Dht.Node?.Metrics.ProviderStoresSent ?? 0;
            providerStoreBytes += node.Dht.Node?.Metrics.ProviderStoreBytesSent ?? 0;
        }

        output.WriteLine(Invariant($"read-back: {shards} shards, {settings.ParallelReads} at once (at most {reads.MostInFlight} were), in {readBack.TotalSeconds:F0} s virtual; per read (virtual): {Spread(read.Select(r => r.Locate + r.Fetch))}; provider lookup {Spread(read.Select(r => r.Locate))}; fetch {Spread(read.Select(r => r.Fetch))}; {read.Sum(r => r.FailedHolders)} holders asked did not give the shard"));
        output.WriteLine(Invariant($"whole run: {probes} batched probes ({singleProbes} single; {onClose} of them at once to holders whose connection closed); provider records {verified} verified, {remembered} remembered (cache of {providerCache}); {providerStores} provider STOREs sent, {providerStoreBytes} bytes"));
        if (eventDigest)
        {
            output.WriteLine(RunDigest.Line(net));
        }

        output.WriteLine(Invariant($"wall {wall.Elapsed.TotalSeconds:F1} s"));
        return new RepairRunResult(killed, tally, read, reads.Starts, reads.MostInFlight, readBack, lost);
    }

    /// <summary>
    /// One shard read back by <paramref name="reader"/> as <see cref="ShardOwner.GetAsync(ShardId, CancellationToken)"/> reads
    /// it (the provider lookup, unless the reader holds it, then the fetch), each part timed.
    /// </summary>
    private static async Task<ShardRead> ReadAsync(
        WholeNodeNetwork whole, VirtualTimeProvider clock, ShardId id, byte[] data, int reader, int owner, bool[] dead, int replicas, DateTimeOffset windowEnd)
    {
        var started = clock.GetUtcNow();
        var alive = !dead[owner];
        var full = false;
        if (alive && whole.Nodes[owner].ShardExchange.Owner!.Status(id) is { } book)
        {
            var live = book.Holders.Count(h => !dead[Array.FindIndex(whole.Nodes, n => n.Id == h.Peer)]);
            full = live >= replicas;
        }

        var node = whole.Nodes[reader].ShardExchange.Owner!;
        var holders = node.HoldsLocally(id) ? [] : await node.LocateAsync(id, CancellationToken.None);
        var located = clock.GetUtcNow();
        bool retrieved;
        IReadOnlyList<HolderAttempt> attempts;
        try
        {
            var (bytes, asked) = await node.GetAsync(id, holders, CancellationToken.None);
            retrieved = bytes.AsSpan().SequenceEqual(data);
            attempts = asked;
        }
        catch (ShardExchangeException e)
        {
            retrieved = false;
            attempts = e.Attempts;
        }

        return new ShardRead(reader, alive, full, retrieved, started - windowEnd, located - started, clock.GetUtcNow() - located, attempts.Count(a => a.Refusal != ShardRefusal.None));
    }

    private static string Spread(IEnumerable<TimeSpan> times)
    {
        var ms = times.Select(t => t.TotalMilliseconds).Order().ToArray();
        return ms.Length == 0 ? "none" : Invariant($"p50 {P(ms, 0.5):F0} ms p99 {P(ms, 0.99):F0} ms max {ms[^1]:F0} ms");
    }

    private static double P(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
