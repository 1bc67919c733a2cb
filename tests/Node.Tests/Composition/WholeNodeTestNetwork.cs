using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// Whole nodes built by the composition root on one in-memory network and virtual clock: node 0 starts
/// first, every other node joins through it from its own join loop.
/// </summary>
internal sealed class WholeNodeTestNetwork : IDisposable
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public WholeNodeTestNetwork(
        int count, int seed, DhtOptions dht, DhtHostOptions? dhtHost = null, Func<int, DhtHostOptions>? dhtHostOf = null, Func<int, ShardExchangeOptions>? shardExchange = null,
        ILatencyModel? latency = null, Func<int, Overlay.Placement.PlacementOptions>? placement = null, Func<int, Action<Overlay.Transport.TransportOptions>?>? transportOf = null)
    {
        Clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Net = new InMemoryNetwork(Clock, seed, latency ?? new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10))), recordEvents: true, failOnForeignPosts: true);
        Nodes = new OverlayNode[count];
        Identities = new NodeIdentityHolder[count];
        Transports = new InMemoryTransport[count];
        var keys = new Random(seed);
        var meters = Meters = _metrics.GetRequiredService<IMeterFactory>();
        string? bootstrap = null;
        Net.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var index = i;
                Identities[i] = new NodeIdentityHolder(NodeIdentity.FromRandom(keys), createdThisStart: false);
                Nodes[i] = NodeComposition.Build(InMemoryNodeParts.Create(
                    Net, Identities[i], (seed * 1000) + i, bootstrap,
                    t => Transports[index] = t, dht, meters, NullLoggerFactory.Instance, dhtHost: dhtHostOf?.Invoke(index) ?? dhtHost, shardExchange: shardExchange?.Invoke(index), placement: placement?.Invoke(index),
                    configureTransport: transportOf?.Invoke(index)));
                await Nodes[i].StartAsync(CancellationToken.None);
                bootstrap ??= Nodes[0].Transport.LocalAddresses[0].ToString();
            }

            for (var i = 1; i < count; i++)
            {
                await Nodes[i].Dht.WhenJoined;
                Joined++;
                Log.Add($"joined {i} at {Clock.Elapsed.Ticks}");
            }
        }, TimeSpan.FromMinutes(2));
    }

    public VirtualTimeProvider Clock { get; }

    /// <summary>The meters every node of the network shares.</summary>
    public IMeterFactory Meters { get; }

    public InMemoryNetwork Net { get; }

    public OverlayNode[] Nodes { get; }

    /// <summary>Each node's key (the file layer signs manifests with it).</summary>
    public NodeIdentityHolder[] Identities { get; }

    public InMemoryTransport[] Transports { get; }

    /// <summary>Nodes that joined through node 0.</summary>
    public int Joined { get; private set; }

    /// <summary>What the test observed, in order (the network's deliveries are in <see cref="InMemoryNetwork.EventLog"/>).</summary>
    public List<string> Log { get; } = [];

    public DhtNode Dht(int index) => Nodes[index].Dht.Node ?? throw new InvalidOperationException($"Node {index} is not running.");

    public void Dispose() => _metrics.Dispose();
}
