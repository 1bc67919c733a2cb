using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Storage.InMemory;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// A few whole <c>shard/1</c> participants on the in-memory network and one virtual clock: each has
/// its identity, an in-memory shard store, the holder's handler (optionally wrapped by an adversary)
/// and an owner side whose holders are the other nodes in index order.
/// </summary>
internal sealed class ShardTestNetwork : IDisposable
{
    public const int MaxShardBytes = 1 << 20;

    private readonly string _books = Path.Combine(Path.GetTempPath(), "overlay-shard-tests-" + Guid.NewGuid().ToString("N"));
    private readonly Meter _meter = new("shard-tests");

    public ShardTestNetwork(int count, int seed, Action<ShardExchangeOptions>? configure = null, Func<int, ShardTestNode, IProtocolHandler, IProtocolHandler>? wrap = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        Clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Net = new InMemoryNetwork(Clock, seed);
        Options = new ShardExchangeOptions { Replicas = Math.Max(1, count - 1) };
        configure?.Invoke(Options);
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var seedBytes = new byte[32];
            random.NextBytes(seedBytes);
            var identity = NodeIdentity.FromSeed(seedBytes);
            var store = new InMemoryShardStore(new StorageOptions { MaxShardBytes = MaxShardBytes, CapacityBytes = 1L << 30 }, Clock);
            var metrics = new ShardExchangeMetrics(_meter);
            var index = i;
            var handler = new ShardExchangeHandler(identity, store, MaxShardBytes, Options, Clock, metrics, logger ?? NullLogger.Instance, (address, _) => ConnectAsync(index, address));
            var protocols = new ProtocolDispatcher();
            var node = new ShardTestNode(i, identity, store, metrics, handler, protocols, Net.CreateNode(identity.PeerId, protocols));
            protocols.Register(ProtocolIds.Shard, wrap?.Invoke(i, node, handler) ?? handler);
            Nodes.Add(node);
        }

        NonceSource = new Random(seed + 1);
    }

    public VirtualTimeProvider Clock { get; }

    public InMemoryNetwork Net { get; }

    public ShardExchangeOptions Options { get; }

    public List<ShardTestNode> Nodes { get; } = [];

    public Random NonceSource { get; }

    /// <summary>Starts every node's listener; call inside <see cref="InMemoryNetwork.Run"/>.</summary>
    public async Task StartAsync()
    {
        foreach (var node in Nodes)
        {
            var listener = await node.Transport.ListenAsync(node.Transport.Host);
            node.Address = listener.LocalAddress.WithPeer(node.Identity.PeerId);
        }
    }

    public async ValueTask<ITransportConnection> ConnectAsync(int from, TransportAddress to)
    {
        var node = Nodes[from];
        var key = to.ToString();
        if (!node.Connections.TryGetValue(key, out var connection) || connection.Closed.IsCancellationRequested)
        {
            connection = await node.Transport.DialAsync(to);
            node.Connections[key] = connection;
        }

        return connection;
    }

    public ValueTask<ITransportConnection> ConnectAsync(int from, int to) => ConnectAsync(from, Nodes[to].Address);

    public ShardExchangeClient ClientOf(int i) => new(Nodes[i].Identity.PeerId, Options.StreamTimeout, Clock);

    /// <summary>The owner side of node <paramref name="i"/>, placing on the other nodes in index order.</summary>
    public ShardOwner OwnerOf(int i, Overlay.Transport.Interactions.IInteractionObserver? interactions = null) => new(
        ClientOf(i), (address, _) => ConnectAsync(i, address), new FixedSelector(() => Nodes.Where(n => n.Index != i).Select(n => new HolderCandidate(n.Identity.PeerId, n.Address)).ToList()),
        new OwnedShardBook(Path.Combine(_books, i.ToString(System.Globalization.CultureInfo.InvariantCulture))), Nodes[i].Store, MaxShardBytes, Options, Clock,
        span => NonceSource.NextBytes(span), Nodes[i].Metrics, NullLogger.Instance, interactions: interactions);

    public void Dispose()
    {
        _meter.Dispose();
        foreach (var node in Nodes)
        {
            node.Identity.Dispose();
        }

        if (Directory.Exists(_books))
        {
            Directory.Delete(_books, recursive: true);
        }
    }

    public static byte[] Shard(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private sealed class FixedSelector(Func<IReadOnlyList<HolderCandidate>> candidates) : IShardHolderSelector
    {
        public IReadOnlyList<HolderCandidate> Candidates(ShardId id) => candidates();
    }
}

internal sealed class ShardTestNode(int index, NodeIdentity identity, InMemoryShardStore store, ShardExchangeMetrics metrics, ShardExchangeHandler handler, ProtocolDispatcher protocols, InMemoryTransport transport)
{
    public int Index { get; } = index;

    public NodeIdentity Identity { get; } = identity;

    public InMemoryShardStore Store { get; } = store;

    public ShardExchangeMetrics Metrics { get; } = metrics;

    public ShardExchangeHandler Handler { get; } = handler;

    public ProtocolDispatcher Protocols { get; } = protocols;

    public InMemoryTransport Transport { get; } = transport;

    public TransportAddress Address { get; set; } = null!;

    public Dictionary<string, ITransportConnection> Connections { get; } = [];
}
