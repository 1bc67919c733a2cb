using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim;

/// <summary>
/// Forms a network of <see cref="DhtNode"/>s (or, with <c>wholeNodes</c>, of whole nodes built by the
/// daemon's composition root, each running every service the daemon runs) from one bootstrap node on
/// virtual time, then measures lookup accuracy against a global sort, hop counts, put/get success before and after a fifth of the
/// nodes fail, and memory per node. One seed gives one run.
/// </summary>
internal sealed class DhtNetworkRun(int nodes, int lookups, int keys, int seed, LatencyMatrix matrix, TextWriter output, DhtOptions options, bool breakdown = false, bool progress = false, bool silentFailures = false, bool wholeNodes = false, TransportOptions? transport = null, Overlay.Placement.PlacementOptions? placement = null)
{
    /// <summary>The node options of a run: the defaults, with what the in-memory network needs.</summary>
    public static DhtOptions DefaultOptions(bool preferLowLatency) => new()
    {
        // In-memory hosts share /24 groups by the hundred; the diversity limits are for real addresses.
        MaxContactsPerGroupPerBucket = 20,
        MaxContactsPerGroupInTable = 65536,
        // The slowest PlanetLab links take about 3 s per round trip; a first request costs two.
        RequestTimeout = TimeSpan.FromSeconds(7),
        PreferLowLatency = preferLowLatency,
    };

    /// <summary>The matrix as <see cref="MatrixLatencyModel"/> takes it: a host reaches itself in 0.1 ms.</summary>
    public static double[][] RttTable(LatencyMatrix matrix)
    {
        var rtt = new double[matrix.Count][];
        for (var i = 0; i < rtt.Length; i++)
        {
            rtt[i] = new double[matrix.Count];
            for (var j = 0; j < rtt.Length; j++)
            {
                rtt[i][j] = i == j ? 0.1 : matrix[i, j];
            }
        }

        return rtt;
    }

    public int Run()
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var rtt = RttTable(matrix);

        var net = new InMemoryNetwork(clock, seed, new MatrixLatencyModel(rtt), failOnForeignPosts: true);
        var transportOptions = transport ?? new TransportOptions();
        var keyRandom = new Random(seed);
        var dhtNodes = new DhtNode[nodes];
        var transports = new InMemoryTransport[nodes];
        var dead = new bool[nodes];
        var limit = TimeSpan.FromHours(6);

        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var wall = Stopwatch.StartNew();
        // One meter for all nodes, as one process would have; each node still keeps its own totals.
        using var meter = new Meter(DhtMetrics.MeterName);
        using var counts = progress ? new EventCounts() : null;
        var identities = new NodeIdentity[nodes];
        for (var i = 0; i < nodes; i++)
        {
            identities[i] = NodeIdentity.FromRandom(keyRandom);
        }

        var memoryIdentities = GC.GetTotalMemory(forceFullCollection: true);
        if (wholeNodes)
        {
            using var whole = new WholeNodeNetwork(net, nodes, options, transportOptions, seed, placement: placement);
            dhtNodes = FormWholeNodes(whole, identities, net, clock, wall, counts, limit, out var built);
            _census = whole.TrustCensus;
            transports = whole.Transports;
            return Measure(net, clock, rtt, transportOptions, dhtNodes, transports, dead, limit, wall, memoryBefore, memoryIdentities, built, counts);
        }

        for (var i = 0; i < nodes; i++)
        {
            var identity = identities[i];
            var index = i;
            dhtNodes[i] = new DhtNode(identity, options, clock, new Random((seed * 7919) + i), h => transports[index] = net.CreateNode(identity.PeerId, h, transportOptions), transportOptions, meter);
        }

        var memoryConstructed = GC.GetTotalMemory(forceFullCollection: true);

        net.Run(async () =>
        {
            var first = await dhtNodes[0].StartAsync(transports[0].Host, CancellationToken.None);
            for (var i = 1; i < nodes; i++)
            {
                await dhtNodes[i].StartAsync(transports[i].Host, CancellationToken.None);
            }

            TransportAddress[] seeds = [first];
            const int concurrency = 32;
            for (var start = 1; start < nodes; start += concurrency)
            {
                var batch = new List<Task>();
                for (var i = start; i < Math.Min(nodes, start + concurrency); i++)
                {
                    batch.Add(dhtNodes[i].BootstrapAsync(seeds, CancellationToken.None));
                }

                await Task.WhenAll(batch);
                if (progress && (start / concurrency) % 16 == 15)
                {
                    Progress("joined", start + concurrency, wall.Elapsed, clock, net, transports, counts!);
                }
            }
        }, limit);
        return Measure(net, clock, rtt, transportOptions, dhtNodes, transports, dead, limit, wall, memoryBefore, memoryIdentities, memoryConstructed, counts);
    }

    /// <summary>
    /// Starts the first whole node, then the others 32 at a time (as the DHT run joins them), each batch
    /// once the one before has joined. Every node joins through its own join loop, with its own backoff.
    /// </summary>
    private DhtNode[] FormWholeNodes(
        WholeNodeNetwork whole, NodeIdentity[] identities, InMemoryNetwork net, VirtualTimeProvider clock, Stopwatch wall, EventCounts? counts,
        TimeSpan limit, out long memoryConstructed)
    {
        whole.StartFirstBuildRest(identities, limit);

        memoryConstructed = GC.GetTotalMemory(forceFullCollection: true);
        net.Run(async () =>
        {
            const int concurrency = 32;
            for (var start = 1; start < nodes; start += concurrency)
            {
                await whole.StartAndJoinAsync(start, Math.Min(nodes, start + concurrency));
                if (progress && (start / concurrency) % 16 == 15)
                {
                    Progress("joined", start + concurrency, wall.Elapsed, clock, net, whole.Transports, counts!);
                }
            }
        }, limit);
        return whole.DhtNodes();
    }

    private int Measure(
        InMemoryNetwork net, VirtualTimeProvider clock, double[][] rtt, TransportOptions transportOptions, DhtNode[] dhtNodes, InMemoryTransport[] transports,
        bool[] dead, TimeSpan limit, Stopwatch wall, long memoryBefore, long memoryIdentities, long memoryConstructed, EventCounts? counts)
    {
        var formationWall = wall.Elapsed;

        var formationVirtual = clock.Elapsed;
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var connectionsAfter = 0;
        foreach (var t in transports)
        {
            connectionsAfter += t.ConnectionCount;
        }

        // Kept connections (DhtOptions.WarmConnections) are kept from here on by a round per node each minute,
        // the part of the maintenance round that keeps them (whole nodes run their own rounds).
        if (!wholeNodes && options.WarmConnections > 0)
        {
            net.Run(() =>
            {
                for (var i = 0; i < dhtNodes.Length; i++)
                {
                    _ = KeepWarmAsync(dhtNodes[i], clock, TimeSpan.FromMilliseconds(60_000.0 * i / dhtNodes.Length));
                }

                return Task.CompletedTask;
            }, limit);
        }

        // Idle: no traffic for twice the pool's idle timeout, so every pooled connection not kept is swept.
        counts?.Since(1); // resets the totals: the line below counts the idle phase alone
        var segmentsBeforeIdle = net.SegmentsDelivered;
        var bytesBeforeIdle = net.BytesDelivered;
        net.RunFor(transportOptions.IdleTimeout * 2);
        var idleMinutes = (transportOptions.IdleTimeout * 2).TotalMinutes;
        var idleSegments = (net.SegmentsDelivered - segmentsBeforeIdle) / (double)nodes / idleMinutes;
        var idleBytes = (net.BytesDelivered - bytesBeforeIdle) / (double)nodes / idleMinutes;
        // What the nodes' own services (maintenance, trust exchange, reachability) open and send with no lookups running.
        var idleCounts = counts?.Since((int)(nodes * idleMinutes));
        // At rest: per-peer state trimmed as a maintenance round trims it, without the round's bucket
        // refreshes. After hours of formation every bucket is due, and refreshing 10,000 nodes costs as much
        // wall time as forming them; the refreshes leave no state that formation did not.
        // Whole nodes run their maintenance rounds themselves.
        if (!wholeNodes)
        {
            foreach (var n in dhtNodes)
            {
                n.TrimIdleState(clock.GetUtcNow());
            }
        }

        var memoryIdle = GC.GetTotalMemory(forceFullCollection: true);
        var connectionsIdle = 0;
        foreach (var t in transports)
        {
            connectionsIdle += t.ConnectionCount;
        }

        long cContacts = 0, cCached = 0, cLimited = 0, cFiltered = 0, cCoordinates = 0, cRecords = 0, cPooled = 0;
        foreach (var n in dhtNodes)
        {
            var c = n.Census();
            cContacts += c.Contacts;
            cCached += c.ReplacementEntries;
            cLimited += c.RateLimitedPeers;
            cFiltered += c.FilteredPeers;
            cCoordinates += c.Coordinates;
            cRecords += c.Records;
            cPooled += c.PooledConnections;
        }

        Line($"nodes {nodes}, seed {seed}, latency preference {(options.PreferLowLatency ? "on" : "off")}{SimOptions.Describe(options)}{SimOptions.Describe(transportOptions, new TransportOptions())}");
        Line($"formation: virtual {formationVirtual.TotalSeconds:F1} s, wall {formationWall.TotalSeconds:F1} s");
        Line($"memory per node (managed heap after formation / nodes, incl. open connections): {(memoryAfter - memoryBefore) / (double)nodes / 1024:F1} KiB");
        Line($"  identities (keys, not part of the {Part}): {(memoryIdentities - memoryBefore) / (double)nodes:F0} B/node");
        Line($"  constructed, not started (fixed per-node objects): {(memoryConstructed - memoryIdentities) / (double)nodes:F0} B/node");
        Line($"  after formation, {Part} part (heap minus identities): {(memoryAfter - memoryIdentities) / (double)nodes:F0} B/node, open connection ends {connectionsAfter} ({connectionsAfter / (double)nodes:F1}/node)");
        Line($"  per node: contacts {cContacts / (double)nodes:F1}, replacement entries {cCached / (double)nodes:F1}, rate-limiter buckets {cLimited / (double)nodes:F1}, " +
             $"RTT filter windows {cFiltered / (double)nodes:F1}, coordinates {cCoordinates / (double)nodes:F1}, records {cRecords / (double)nodes:F1}, pooled connections {cPooled / (double)nodes:F1}");
        Line($"  idle after {transportOptions.IdleTimeout * 2} without traffic: {(memoryIdle - memoryIdentities) / (double)nodes:F0} B/node, open connection ends {connectionsIdle} ({connectionsIdle / (double)nodes:F1}/node), " +
             $"segments received per node per minute while idle {idleSegments:F1} ({idleBytes:F0} B)");
        if (idleCounts is not null)
        {
            Line($"    per node per virtual minute while idle:{idleCounts}");
        }
        var contacts = new int[nodes];
        for (var i = 0; i < nodes; i++)
        {
            contacts[i] = dhtNodes[i].ContactCount;
        }

        Array.Sort(contacts);
        Line($"routing table contacts: p50 {contacts[nodes / 2]}, min {contacts[0]}, max {contacts[^1]}");
        if (breakdown)
        {
            MemoryBreakdown.Run(dhtNodes, transports, memoryIdentities, Line);
            return 0;
        }

        // Lookups against a global sort of all ids.
        var random = new Random(seed + 1);
        var k = options.K;
        var hops = new int[lookups];
        var requests = new int[lookups];
        var exact = 0;
        var ids = new PeerId[nodes];
        var indexOf = new Dictionary<PeerId, int>(nodes);
        for (var i = 0; i < nodes; i++)
        {
            ids[i] = dhtNodes[i].Id;
            indexOf[ids[i]] = i;
        }

        var floors = new double[lookups];

        wall.Restart();
        counts?.Since(1); // the idle phase's totals were reported: the lookup lines count the lookups alone
        _lastUnits = 0;
        _lastWall = TimeSpan.Zero;
        // Ten lines over the lookup phase: whether its wall time, heap or timers grow with virtual time.
        var progressLookups = Math.Max(1, lookups / 10);
        var lookupStart = clock.Elapsed;
        var latencies = new double[lookups];
        net.Run(async () =>
        {
            var order = new PeerId[nodes];
            for (var l = 0; l < lookups; l++)
            {
                var target = PeerId.Random(random);
                var from = random.Next(nodes);
                var started = clock.Elapsed;
                var result = await dhtNodes[from].FindClosestAsync(target, CancellationToken.None);
                latencies[l] = (clock.Elapsed - started).TotalMilliseconds;
                hops[l] = result.Hops;
                requests[l] = result.Requests;
                var truth = TrueClosest(ids, order, from, target, k);
                exact += Matches(truth, result) ? 1 : 0;
                floors[l] = Floor(rtt, indexOf, from, truth);
                if (progress && (l + 1) % progressLookups == 0)
                {
                    Progress("lookups", l + 1, wall.Elapsed, clock, net, transports, counts!);
                }
            }
        }, limit);
        Array.Sort(hops);
        Array.Sort(requests);
        Array.Sort(latencies);
        Line($"lookups: {lookups}, exact k closest {100.0 * exact / lookups:F2} %, hops p50 {hops[lookups / 2]} p99 {hops[(int)(lookups * 0.99)]} max {hops[^1]}, " +
             $"requests p50 {requests[lookups / 2]} p99 {requests[(int)(lookups * 0.99)]}, virtual latency p50 {latencies[lookups / 2]:F0} ms p99 {latencies[(int)(lookups * 0.99)]:F0} ms, wall {wall.Elapsed.TotalSeconds:F1} s");
        var histogram = new SortedDictionary<int, int>();
        foreach (var h in hops)
        {
            histogram[h] = histogram.GetValueOrDefault(h) + 1;
        }

        var text = new System.Text.StringBuilder("hop histogram:");
        foreach (var (h, c) in histogram)
        {
            text.Append(CultureInfo.InvariantCulture, $" {h}:{c}");
        }

        Line(text.ToString());
        Array.Sort(floors);
        Line($"lookup floor (the true k closest all asked at the start, each over a new connection: handshake + request = 2 RTT): p50 {floors[lookups / 2]:F0} ms p99 {floors[(int)(lookups * 0.99)]:F0} ms");

        // Put/get before and after a fifth of the nodes fail at once.
        var keyIds = new PeerId[keys];
        var publishers = new int[keys];
        const int getsPerKey = 10;
        var found = 0;
        var getLatencies = new double[keys * getsPerKey];
        net.Run(async () =>
        {
            for (var i = 0; i < keys; i++)
            {
                keyIds[i] = PeerId.Random(random);
                publishers[i] = random.Next(nodes);
                await dhtNodes[publishers[i]].PutAsync(keyIds[i], BitConverter.GetBytes(i), CancellationToken.None);
            }

            found = await GetAllAsync(dhtNodes, dead, keyIds, publishers, getsPerKey, random, clock, getLatencies);
        }, limit);
        Line($"put/get: {100.0 * found / (keys * getsPerKey):F2} % of {keys * getsPerKey} gets found the value");
        Line(ValueLine("values", getLatencies));

        var killed = 0;
        var silent = new List<InMemoryTransport>();
        while (killed < nodes / 5)
        {
            var victim = random.Next(nodes);
            if (!dead[victim] && Array.IndexOf(publishers, victim) < 0)
            {
                dead[victim] = true;
                if (silentFailures)
                {
                    silent.Add(transports[victim]);
                }
                else
                {
                    transports[victim].Kill();
                }

                killed++;
            }
        }

        if (silentFailures)
        {
            // A host that is switched off answers nothing, not even a refusal: dials to it wait for the
            // handshake timeout and requests on open connections for their own.
            net.Partition(silent);
        }

        net.Run(async () => found = await GetAllAsync(dhtNodes, dead, keyIds, publishers, getsPerKey, random, clock, getLatencies), limit);
        Line($"after {killed} nodes {(silentFailures ? "went silent" : "failed")} at once: {100.0 * found / (keys * getsPerKey):F2} % of {keys * getsPerKey} gets found the value");
        Line(ValueLine("values after the failures", getLatencies));
        return 0;
    }

    // The warm-connection part of a maintenance round, once a minute from a per-node offset, for the rest of the run.
    private static async Task KeepWarmAsync(DhtNode node, VirtualTimeProvider clock, TimeSpan offset)
    {
        await Task.Delay(offset, clock);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        do
        {
            await node.KeepConnectionsWarmAsync(CancellationToken.None);
        }
        while (await timer.WaitForNextTickAsync());
    }

    // FIND_VALUE time as a reader sees it: DhtNode.GetAsync from a node other than the publisher (a
    // reader that holds the value itself answers at once, which happens about k/N of the time).
    private static string ValueLine(string label, double[] latencies)
    {
        Array.Sort(latencies);
        return string.Create(CultureInfo.InvariantCulture,
            $"{label}: {latencies.Length} gets, virtual latency p50 {latencies[latencies.Length / 2]:F0} ms p99 {latencies[(int)(latencies.Length * 0.99)]:F0} ms");
    }

    // No lookup that hears from each of the true k closest over a connection it must first open can end
    // sooner than two round trips to the slowest of them, however it finds them.
    private static double Floor(double[][] rtt, Dictionary<PeerId, int> indexOf, int from, HashSet<PeerId> truth)
    {
        var slowest = 0.0;
        foreach (var id in truth)
        {
            var to = indexOf[id];
            slowest = Math.Max(slowest, rtt[from % rtt.Length][to % rtt.Length]);
        }

        return 2 * slowest;
    }

    private static bool Matches(HashSet<PeerId> truth, LookupResult result)
    {
        var hits = 0;
        foreach (var p in result.Closest)
        {
            hits += truth.Contains(p.Id) ? 1 : 0;
        }

        return hits == truth.Count;
    }

    private static HashSet<PeerId> TrueClosest(PeerId[] ids, PeerId[] order, int from, PeerId target, int k)
    {
        // A partial selection of the k closest other ids: cheaper than sorting all of them per lookup.
        var n = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            if (i != from)
            {
                order[n++] = ids[i];
            }
        }

        var distances = new PeerId[n];
        for (var i = 0; i < n; i++)
        {
            distances[i] = order[i].Xor(target);
        }

        Array.Sort(distances, order, 0, n);
        var truth = new HashSet<PeerId>();
        for (var i = 0; i < k && i < n; i++)
        {
            truth.Add(order[i]);
        }

        return truth;
    }

    private static async Task<int> GetAllAsync(DhtNode[] nodes, bool[] dead, PeerId[] keys, int[] publishers, int getsPerKey, Random random, VirtualTimeProvider clock, double[] latencies)
    {
        var found = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            for (var g = 0; g < getsPerKey; g++)
            {
                int from;
                do
                {
                    from = random.Next(nodes.Length);
                }
                while (dead[from] || from == publishers[i]);
                var started = clock.Elapsed;
                var record = await nodes[from].GetAsync(keys[i], CancellationToken.None);
                latencies[(i * getsPerKey) + g] = (clock.Elapsed - started).TotalMilliseconds;
                found += record is not null && record.Value.Length == 4 && BitConverter.ToInt32(record.Value.Span) == i ? 1 : 0;
            }
        }

        return found;
    }

    // Whole nodes: what each node's trust part holds, the part that grows with the peers it hears of.
    private Func<string>? _census;
    private long _lastExecuted;
    private int _lastUnits;
    private long _lastAllocated;
    private long _lastSegments;
    private TimeSpan _lastWall;

    // Two lines per 512 joins (where formation's wall time goes as the network grows) and per tenth of the
    // lookups (whether the nodes' services, running on through the lookups, cost more as virtual time passes).
    private void Progress(string phase, int units, TimeSpan wall, VirtualTimeProvider clock, InMemoryNetwork net, InMemoryTransport[] transports, EventCounts counts)
    {
        var open = 0;
        foreach (var t in transports)
        {
            // Whole nodes not started yet have no transport.
            open += t?.ConnectionCount ?? 0;
        }

        var executed = net.Scheduler.Executed;
        var segments = net.SegmentsDelivered;
        Line($"  {phase} {units}: wall {wall.TotalSeconds:F1} s (+{(wall - _lastWall).TotalSeconds:F1}), virtual {clock.Elapsed.TotalSeconds:F0} s, " +
             $"callbacks +{executed - _lastExecuted}, segments +{segments - _lastSegments}, timers {clock.PendingTimers} live / {clock.QueuedTimers} queued, open connection ends {open}, " +
             $"heap {GC.GetTotalMemory(false) >> 20} MiB, resident {Environment.WorkingSet >> 20} MiB, allocated +{(GC.GetTotalAllocatedBytes() - _lastAllocated) >> 20} MiB, " +
             $"gen0/1/2 collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
        _lastAllocated = GC.GetTotalAllocatedBytes();
        if (_census is not null)
        {
            Line($"    per node: {_census()}");
        }

        Line($"    per {(phase == "joined" ? "joined node" : "lookup")}:{counts.Since(units - _lastUnits)}");
        _lastUnits = units;
        _lastExecuted = executed;
        _lastSegments = segments;
        _lastWall = wall;
    }

    private string Part => wholeNodes ? "node" : "DHT";

    private void Line(string text) => output.WriteLine(text);
}
