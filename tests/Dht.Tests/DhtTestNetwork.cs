using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests;

/// <summary>
/// Real <see cref="DhtNode"/>s on one <see cref="InMemoryNetwork"/> and one virtual clock, links timed by
/// an RTT matrix. Everything runs on the network's single-threaded scheduler, so one seed gives one run.
/// </summary>
internal sealed class DhtTestNetwork : IDisposable
{
    private readonly Meter _meter = new("Overlay.Dht.Tests." + Guid.NewGuid().ToString("N"));

    /// <param name="count">Nodes.</param>
    /// <param name="seed">Seed of keys, network and node random sources.</param>
    /// <param name="matrix">Link RTTs; node i sits on host i mod size.</param>
    /// <param name="options">DHT options of every node.</param>
    /// <param name="recordEvents">Keep the network's delivery log.</param>
    /// <param name="wrapHandler">Given a node index and its real request handler, the handler its transport serves with (adversaries).</param>
    /// <param name="journal">Given a node index and its identity, where the node saves the records it keeps; null: in memory only.</param>
    public DhtTestNetwork(
        int count, int seed, LatencyMatrix matrix, DhtOptions options, bool recordEvents = false, Func<int, IProtocolHandler, IProtocolHandler>? wrapHandler = null,
        Func<int, NodeIdentity, Overlay.Dht.Persistence.IDhtStateJournal?>? journal = null)
    {
        Options = options;
        Clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var rtt = new double[matrix.Count][];
        for (var i = 0; i < rtt.Length; i++)
        {
            rtt[i] = new double[matrix.Count];
            for (var j = 0; j < rtt.Length; j++)
            {
                rtt[i][j] = i == j ? 0.1 : matrix[i, j];
            }
        }

        Net = new InMemoryNetwork(Clock, seed, new MatrixLatencyModel(rtt), recordEvents);
        var keys = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var identity = NodeIdentity.FromRandom(keys);
            Identities.Add(identity);
            var index = i;
            Nodes.Add(new DhtNode(identity, options, Clock, new Random(seed * 7919 + i), protocols =>
            {
                var served = wrapHandler is null ? protocols : new ProtocolDispatcher(ProtocolIds.Dht, wrapHandler(index, protocols.HandlerOf(ProtocolIds.Dht)!));
                var t = Net.CreateNode(identity.PeerId, served, TransportOptions);
                Transports.Add(t);
                return t;
            }, TransportOptions, _meter, journal: journal?.Invoke(index, identity)));
        }
    }

    public static TransportOptions TransportOptions { get; } = new();

    public DhtOptions Options { get; }

    public VirtualTimeProvider Clock { get; }

    public InMemoryNetwork Net { get; }

    public List<DhtNode> Nodes { get; } = [];

    public List<NodeIdentity> Identities { get; } = [];

    public List<InMemoryTransport> Transports { get; } = [];

    public bool[] Dead => _dead ??= new bool[Nodes.Count];

    private bool[]? _dead;

    /// <summary>Test options: diversity limits off, since in-memory hosts share /24 groups by the hundred.</summary>
    public static DhtOptions DefaultOptions() => new()
    {
        MaxContactsPerGroupPerBucket = 20,
        MaxContactsPerGroupInTable = 65536,
        // The slowest PlanetLab links take about 3 s per round trip, and a first request to a peer costs
        // two (the handshake, then the request): a shorter timeout would cut those peers off.
        RequestTimeout = TimeSpan.FromSeconds(7),
    };

    /// <summary>Starts every node and joins them one batch at a time through node 0.</summary>
    public void Form(int concurrency = 16, TimeSpan? wallClockLimit = null)
    {
        Net.Run(async () =>
        {
            var seed = await Nodes[0].StartAsync(Transports[0].Host, CancellationToken.None);
            for (var i = 1; i < Nodes.Count; i++)
            {
                await Nodes[i].StartAsync(Transports[i].Host, CancellationToken.None);
            }

            TransportAddress[] seeds = [seed];
            for (var start = 1; start < Nodes.Count; start += concurrency)
            {
                var batch = new List<Task>();
                for (var i = start; i < Math.Min(Nodes.Count, start + concurrency); i++)
                {
                    batch.Add(Nodes[i].BootstrapAsync(seeds, CancellationToken.None));
                }

                await Task.WhenAll(batch);
            }
        }, wallClockLimit ?? TimeSpan.FromMinutes(8));
    }

    public void Kill(int index)
    {
        Dead[index] = true;
        Transports[index].Kill();
    }

    public int RandomLive(Random random)
    {
        int i;
        do
        {
            i = random.Next(Nodes.Count);
        }
        while (Dead[i]);
        return i;
    }

    /// <summary>
    /// The k live node ids closest to <paramref name="target"/> by a global sort, leaving out the node
    /// <paramref name="except"/> that looks it up (a lookup reports other peers, never itself).
    /// </summary>
    public HashSet<PeerId> TrueClosest(PeerId target, int k, int except = -1)
    {
        var live = new List<PeerId>(Nodes.Count);
        for (var i = 0; i < Nodes.Count; i++)
        {
            if (!Dead[i] && i != except)
            {
                live.Add(Nodes[i].Id);
            }
        }

        live.Sort((a, b) => a.Xor(target).CompareTo(b.Xor(target)));
        return [.. live.Take(k)];
    }

    public void Dispose()
    {
        foreach (var id in Identities)
        {
            id.Dispose();
        }

        _meter.Dispose();
    }
}
