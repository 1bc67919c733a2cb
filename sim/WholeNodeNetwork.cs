using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim;

/// <summary>
/// Whole nodes on the in-memory network: each is built by the daemon's composition root from the
/// simulator's virtual clock, a seeded random source, an in-memory transport, an in-memory shard store and
/// in-memory DHT state, and runs every service the daemon runs (bootstrap redials, joining with backoff,
/// maintenance, snapshots, the shard collector) on the network's one scheduler.
/// </summary>
internal sealed class WholeNodeNetwork : IDisposable
{
    private readonly InMemoryNetwork _net;
    private readonly DhtOptions _dht;
    private readonly TransportOptions _transport;
    private readonly int _seed;
    private readonly ShardExchangeOptions? _shardExchange;
    private readonly Overlay.Placement.PlacementOptions? _placement;
    private readonly ServiceProvider _metrics;
    private readonly IMeterFactory _meters;

    public WholeNodeNetwork(
        InMemoryNetwork net, int count, DhtOptions dht, TransportOptions transport, int seed, ShardExchangeOptions? shardExchange = null, Overlay.Placement.PlacementOptions? placement = null)
    {
        _shardExchange = shardExchange;
        _placement = placement;
        _net = net;
        _dht = dht;
        _transport = transport;
        _seed = seed;
        Nodes = new OverlayNode[count];
        Transports = new InMemoryTransport[count];
        Identities = new NodeIdentity[count];
        // One meter per name for all nodes, as one process would have (the default factory shares them).
        _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _meters = _metrics.GetRequiredService<IMeterFactory>();
    }

    public OverlayNode[] Nodes { get; }

    public InMemoryTransport[] Transports { get; }

    /// <summary>The meter factory every node's meters come from (one per name, as in one process).</summary>
    public IMeterFactory Meters => _meters;

    /// <summary>The key of the node each slot holds now (a simulated adversary signs its rows with it).</summary>
    public NodeIdentity[] Identities { get; }

    /// <summary>
    /// Builds node <paramref name="index"/>, not started; <paramref name="bootstrap"/> is the address it joins through (none for the first).
    /// A node that takes the place of one that left gives the next <paramref name="generation"/>, so its random source is its own.
    /// </summary>
    public void Build(int index, NodeIdentity identity, string? bootstrap, int generation = 0)
    {
        Identities[index] = identity;
        Nodes[index] = NodeComposition.Build(InMemoryNodeParts.Create(
            _net, new NodeIdentityHolder(identity, createdThisStart: false), (_seed * 7919) + index + (generation * 1_000_003), bootstrap, t => Transports[index] = t,
            _dht, _meters, NullLoggerFactory.Instance, _transport.IdleTimeout, shardExchange: _shardExchange, placement: _placement,
            streamWindowBytes: _transport.StreamWindowBytes, bulkStreamWindowMaxBytes: _transport.BulkStreamWindowMaxBytes,
            configureTransport: CopyPoolSettings));
    }

    // The pool's bounds and the keep-alive, as the run was given them (--transport-option, --keep-alive-seconds).
    private void CopyPoolSettings(TransportOptions node)
    {
        node.MaxConnections = _transport.MaxConnections;
        node.PoolHighWatermark = _transport.PoolHighWatermark;
        node.PoolLowWatermark = _transport.PoolLowWatermark;
        node.PoolGracePeriod = _transport.PoolGracePeriod;
        node.KeepAliveInterval = _transport.KeepAliveInterval;
    }

    /// <summary>Builds and starts node 0 (on its own), then builds every other node, not started, to join through it.</summary>
    public void StartFirstBuildRest(IReadOnlyList<NodeIdentity> identities, TimeSpan limit)
    {
        Build(0, identities[0], bootstrap: null);
        string? first = null;
        _net.Run(async () =>
        {
            await Nodes[0].StartAsync(CancellationToken.None);
            first = Nodes[0].Transport.LocalAddresses[0].ToString();
        }, limit);
        for (var i = 1; i < Nodes.Length; i++)
        {
            Build(i, identities[i], first);
        }
    }

    /// <summary>Starts nodes [<paramref name="from"/>, <paramref name="to"/>) together and waits until each has joined.</summary>
    public async Task StartAndJoinAsync(int from, int to)
    {
        var starts = new List<Task>();
        for (var i = from; i < to; i++)
        {
            starts.Add(Nodes[i].StartAsync(CancellationToken.None));
        }

        await Task.WhenAll(starts);
        var joins = new List<Task>();
        for (var i = from; i < to; i++)
        {
            joins.Add(Nodes[i].Dht.WhenJoined);
        }

        await Task.WhenAll(joins);
    }

    /// <summary>The DHT participant of each started node.</summary>
    public DhtNode[] DhtNodes()
    {
        var result = new DhtNode[Nodes.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Nodes[i].Dht.Node ?? throw new InvalidOperationException($"Node {i} has not started.");
        }

        return result;
    }

    /// <summary>
    /// What the started nodes' trust parts hold, per node: other nodes' records (<c>trust/1</c>) and their entries, the
    /// peers in the local-trust ledger, and capacity records. These grow with the peers a node hears of, not with its table.
    /// </summary>
    public string TrustCensus()
    {
        long records = 0, entries = 0, ledger = 0, capacity = 0;
        var started = 0;
        foreach (var node in Nodes)
        {
            if (node?.Dht.Node is null)
            {
                continue;
            }

            started++;
            var trust = node.Trust;
            foreach (var record in trust.Records.Book.Snapshot())
            {
                records++;
                entries += record.Vector.Count;
            }

            ledger += trust.Observations.Ledger.Count;
            capacity += trust.Capacity.Count;
        }

        var per = Math.Max(1, started);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"trust records held {records / (double)per:F1} ({entries / (double)Math.Max(1, records):F0} entries each), ledger peers {ledger / (double)per:F1}, capacity records {capacity / (double)per:F1}");
    }

    public void Dispose() => _metrics.Dispose();
}
