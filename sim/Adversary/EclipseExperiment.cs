using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim.Adversary;

/// <summary>What an eclipse experiment is run with.</summary>
/// <param name="Nodes">Nodes in all, honest and malicious.</param>
/// <param name="Malicious">Fraction of them that are malicious colluders (0..0.9), joined like honest nodes at random ids.</param>
/// <param name="PopularKeys">Keys the adversary attacks; every lookup and value is for one of them.</param>
/// <param name="SybilsPerKey">Sybils the adversary keeps next to each attacked key, beyond the colluders: never announced, only named by colluders.</param>
/// <param name="SybilBits">Leading bits a Sybil id shares with its key: 2^bits key generations each (see <see cref="EclipseExperiment"/>).</param>
/// <param name="Lookups">Lookups per path count.</param>
/// <param name="PathCounts">Disjoint path counts d to measure.</param>
/// <param name="Gets">Reads per path count and quorum, of values their publisher updated once.</param>
/// <param name="Quorums">Value quorums to measure the reads with.</param>
/// <param name="Seed">One seed, one run.</param>
/// <param name="Configure">Changes to the honest nodes' options (the simulator's --option), or null.</param>
internal sealed record EclipseSettings(
    int Nodes, double Malicious, int PopularKeys, int SybilsPerKey, int SybilBits, int Lookups, int[] PathCounts, int Gets, int[] Quorums, int Seed,
    Action<DhtOptions>? Configure = null);

/// <summary>Success rates of one run, by path count (and quorum for values), with the hop counts seen.</summary>
internal sealed record EclipseResult(
    int Honest, int Malicious, int Sybils, Dictionary<int, double> LookupSuccess, Dictionary<(int Paths, int Quorum), double> GetSuccess,
    SortedDictionary<int, int> Hops, long Lies, TimeSpan Formation);

/// <summary>
/// An eclipse attack on a formed network of real <see cref="DhtNode"/>s over the in-memory network and one
/// virtual clock: a fraction m of the nodes are <see cref="EclipseNode"/> colluders, and the adversary keeps
/// Sybils right next to the keys it attacks. A colluder asked for an attacked key names Sybils, which are
/// closer to it than any honest node, so a lookup path that asks a colluder fills its k-closest window with
/// Sybils that name only each other: the path is captured. Honest nodes look the keys up with S/Kademlia
/// disjoint paths (d of them; a node is used by one path only, so Sybils one path learned cannot capture
/// another). A lookup succeeds when it reached the honest node closest to the key (that node served it a
/// FIND_NODE: a value stored under the key lives there), as S/Kademlia counts success; a read succeeds
/// when it returns the publisher's latest value.
/// <para>
/// Sybil ids: a PeerId is the BLAKE3 hash of the node's public keys, so an id sharing b leading bits with a
/// chosen key takes about 2^b key generations. With the hybrid identity the adversary can keep one
/// ML-DSA key and vary only the Ed25519 half: one Ed25519 key generation and one BLAKE3 hash of about
/// 2 KB per try, some tens of microseconds, so b = 24 costs minutes of one core per Sybil. The run
/// places Sybils at exactly b shared bits without doing that work (the in-memory network authenticates
/// ids without keys); with b well above log2(nodes) they are the closest nodes to their key. The Sybils
/// never send a request themselves, so honest nodes learn of them only from colluders' answers (and then
/// from each other: a node that asked a Sybil keeps it like any peer that answered).
/// </para>
/// </summary>
internal sealed class EclipseExperiment(EclipseSettings settings, LatencyMatrix matrix, TextWriter? progress = null)
{
    public EclipseResult Run()
    {
        var options = DhtNetworkRun.DefaultOptions(preferLowLatency: true);
        settings.Configure?.Invoke(options);
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var rtt = DhtNetworkRun.RttTable(matrix);

        var net = new InMemoryNetwork(clock, settings.Seed, new MatrixLatencyModel(rtt), failOnForeignPosts: true);
        var random = new Random(settings.Seed);
        var keys = new PeerId[settings.PopularKeys];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = PeerId.Random(random);
        }

        var maliciousCount = (int)Math.Round(settings.Nodes * settings.Malicious);
        // Honest and malicious nodes take turns at random, so both spread over the matrix's hosts and join together.
        var isMalicious = new bool[settings.Nodes];
        for (var i = 0; i < maliciousCount; i++)
        {
            isMalicious[i] = true;
        }

        random.Shuffle(isMalicious);
        using var meter = new Meter(DhtMetrics.MeterName);
        var transportOptions = new TransportOptions();
        var colluders = new Colluders();
        using var forger = NodeIdentity.FromRandom(random);
        var seen = new HashSet<(PeerId, PeerId, PeerId)>();
        var honest = new List<DhtNode>();
        var honestTransports = new List<InMemoryTransport>();
        var malicious = new List<EclipseNode>();
        var identities = new List<NodeIdentity>();
        var joinOrder = new List<object>();
        for (var i = 0; i < settings.Nodes; i++)
        {
            if (isMalicious[i])
            {
                var node = new EclipseNode(malicious.Count, PeerId.Random(random), net, colluders, options, forger, meter, new Random(random.Next()));
                malicious.Add(node);
                joinOrder.Add(node);
                continue;
            }

            var identity = NodeIdentity.FromRandom(random);
            identities.Add(identity);
            var dhtNode = new DhtNode(identity, options, clock, new Random(random.Next()), h =>
            {
                var t = net.CreateNode(identity.PeerId, new ProtocolDispatcher(ProtocolIds.Dht, new Witness(identity.PeerId, h.HandlerOf(ProtocolIds.Dht)!, options, seen)), transportOptions);
                honestTransports.Add(t);
                return t;
            }, transportOptions, meter);
            honest.Add(dhtNode);
            joinOrder.Add(dhtNode);
        }

        var sybils = new List<(EclipseNode Node, PeerId Key)>();
        if (maliciousCount > 0)
        {
            foreach (var key in keys)
            {
                for (var s = 0; s < settings.SybilsPerKey; s++)
                {
                    var index = malicious.Count + sybils.Count;
                    sybils.Add((new EclipseNode(index, NearKey(key, settings.SybilBits, random), net, colluders, options, forger, meter, new Random(random.Next())), key));
                }
            }
        }

        try
        {
            var limit = TimeSpan.FromHours(6);
            var formation = Form(net, honest, honestTransports, malicious, sybils, joinOrder, limit);
            progress?.WriteLine($"  m = {settings.Malicious:P0}: formed {honest.Count} honest nodes and {malicious.Count} colluders, {sybils.Count} Sybils beside them, in {formation.TotalSeconds:F0} s virtual");
            var hops = new SortedDictionary<int, int>();
            var lookupSuccess = MeasureLookups(net, options, honest, keys, random, hops, seen, limit);
            var getSuccess = MeasureGets(net, options, honest, keys, random, limit);
            return new EclipseResult(honest.Count, malicious.Count, sybils.Count, lookupSuccess, getSuccess, hops, colluders.Lies, formation);
        }
        finally
        {
            foreach (var identity in identities)
            {
                identity.Dispose();
            }
        }
    }

    /// <summary>An id sharing exactly <paramref name="bits"/> leading bits with <paramref name="key"/>, the rest random.</summary>
    internal static PeerId NearKey(PeerId key, int bits, Random random)
    {
        Span<byte> id = stackalloc byte[PeerId.Size];
        Span<byte> k = stackalloc byte[PeerId.Size];
        key.WriteTo(k);
        random.NextBytes(id);
        for (var b = 0; b <= bits && b < PeerId.Size * 8; b++)
        {
            var mask = (byte)(0x80 >> (b & 7));
            var keyBit = k[b >> 3] & mask;
            // Bits before `bits` copy the key's; bit `bits` is the opposite, so exactly `bits` are shared.
            var want = b < bits ? keyBit : keyBit ^ mask;
            id[b >> 3] = (byte)((id[b >> 3] & ~mask) | want);
        }

        return PeerId.FromBytes(id);
    }

    private static TimeSpan Form(InMemoryNetwork net, List<DhtNode> honest, List<InMemoryTransport> transports, List<EclipseNode> malicious, List<(EclipseNode Node, PeerId Key)> sybils, List<object> joinOrder, TimeSpan limit)
    {
        var started = net.Clock.Elapsed;
        net.Run(async () =>
        {
            var seed = await honest[0].StartAsync(transports[0].Host, CancellationToken.None);
            for (var i = 1; i < honest.Count; i++)
            {
                await honest[i].StartAsync(transports[i].Host, CancellationToken.None);
            }

            foreach (var m in malicious)
            {
                await m.StartAsync();
            }

            foreach (var (sybil, key) in sybils)
            {
                await sybil.StartAsync(key);
            }

            TransportAddress[] seeds = [seed];
            const int concurrency = 32;
            var pending = joinOrder.Where(n => n != honest[0]).ToList();
            for (var start = 0; start < pending.Count; start += concurrency)
            {
                var batch = new List<Task>();
                for (var i = start; i < Math.Min(pending.Count, start + concurrency); i++)
                {
                    batch.Add(pending[i] is DhtNode h ? h.BootstrapAsync(seeds, CancellationToken.None) : ((EclipseNode)pending[i]).JoinAsync(seed));
                }

                await Task.WhenAll(batch);
            }
        }, limit);
        return net.Clock.Elapsed - started;
    }

    private Dictionary<int, double> MeasureLookups(
        InMemoryNetwork net, DhtOptions options, List<DhtNode> honest, PeerId[] keys, Random random, SortedDictionary<int, int> hops, HashSet<(PeerId, PeerId, PeerId)> seen, TimeSpan limit)
    {
        var success = new Dictionary<int, int>();
        // Each lookup starts from a node that has not looked anything up yet (while there are such nodes):
        // a node whose lookup was captured keeps the Sybils that answered it, like any peer that answered,
        // and would start its next lookup of that key among them.
        var sources = Enumerable.Range(0, honest.Count).ToArray();
        random.Shuffle(sources);
        var nextSource = 0;
        net.Run(async () =>
        {
            for (var l = 0; l < settings.Lookups; l++)
            {
                var key = keys[l % keys.Length];
                // The path counts take turns going first, so that what earlier lookups taught the network
                // weighs on each alike.
                for (var j = 0; j < settings.PathCounts.Length; j++)
                {
                    var d = settings.PathCounts[(l + j) % settings.PathCounts.Length];
                    var from = sources[nextSource++ % sources.Length];
                    var truth = ClosestHonest(honest, key, from);
                    options.DisjointPaths = d;
                    // Requests of the previous lookup still in flight must not count for this one.
                    await Task.Delay(options.RequestTimeout, net.Clock);
                    seen.Clear();
                    var result = await honest[from].FindClosestAsync(key, CancellationToken.None);
                    var reached = seen.Contains((truth, honest[from].Id, key));
                    success[d] = success.GetValueOrDefault(d) + (reached ? 1 : 0);
                    if (d == settings.PathCounts[0])
                    {
                        hops[result.Hops] = hops.GetValueOrDefault(result.Hops) + 1;
                    }
                }
            }
        }, limit);
        options.DisjointPaths = 0;
        return success.ToDictionary(p => p.Key, p => p.Value / (double)settings.Lookups);
    }

    private Dictionary<(int, int), double> MeasureGets(InMemoryNetwork net, DhtOptions options, List<DhtNode> honest, PeerId[] keys, Random random, TimeSpan limit)
    {
        var success = new Dictionary<(int, int), int>();
        if (settings.Gets == 0)
        {
            return [];
        }

        net.Run(async () =>
        {
            // Each popular key gets a value, then an update: an adversary that captured the first version
            // serves it stale from then on.
            var publishers = new int[keys.Length];
            for (var k = 0; k < keys.Length; k++)
            {
                publishers[k] = random.Next(honest.Count);
                await honest[publishers[k]].PutAsync(keys[k], "v1"u8.ToArray(), CancellationToken.None);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
            for (var k = 0; k < keys.Length; k++)
            {
                await honest[publishers[k]].PutAsync(keys[k], "v2"u8.ToArray(), CancellationToken.None);
            }

            for (var g = 0; g < settings.Gets; g++)
            {
                var k = g % keys.Length;
                int reader;
                do
                {
                    reader = random.Next(honest.Count);
                }
                while (reader == publishers[k]);
                foreach (var d in settings.PathCounts)
                {
                    foreach (var q in settings.Quorums)
                    {
                        options.DisjointPaths = d;
                        options.ValueQuorum = q;
                        var record = await honest[reader].GetAsync(keys[k], CancellationToken.None);
                        var ok = record is not null && record.Value.Span.SequenceEqual("v2"u8);
                        success[(d, q)] = success.GetValueOrDefault((d, q)) + (ok ? 1 : 0);
                    }
                }
            }
        }, limit);
        options.DisjointPaths = 0;
        options.ValueQuorum = 1;
        return success.ToDictionary(p => p.Key, p => p.Value / (double)settings.Gets);
    }

    private static PeerId ClosestHonest(List<DhtNode> honest, PeerId key, int except)
    {
        PeerId? best = null;
        for (var i = 0; i < honest.Count; i++)
        {
            if (i != except && (best is null || honest[i].Id.Xor(key) < best.Value.Xor(key)))
            {
                best = honest[i].Id;
            }
        }

        return best!.Value;
    }
}
