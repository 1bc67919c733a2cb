using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Overlay.Dht;
using Overlay.Dht.Persistence;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Storage.InMemory;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Composition;

/// <summary>
/// The parts of a simulated node: the network's virtual clock, a random source seeded per node, a
/// transport on the in-memory network, an in-memory shard store and in-memory DHT state. With these a
/// node built by <see cref="NodeComposition.Build"/> runs every service the daemon runs, deterministically,
/// on the network's one scheduler. Used by the simulator and by tests.
/// </summary>
public static class InMemoryNodeParts
{
    /// <summary>Listen address of a simulated node: its own host on the network, a port picked for it.</summary>
    public const string ListenAddress = "mem://0.0.0.0:0";

    /// <summary>Parts for one node on <paramref name="network"/>.</summary>
    /// <param name="network">The network (and clock) the node runs on.</param>
    /// <param name="identity">The node's key.</param>
    /// <param name="seed">Seed of the node's random source and, through <see cref="SeededNonceSource"/>, of its audit nonces (give each node its own).</param>
    /// <param name="bootstrap">Address (with <c>/p2p/PEERID</c>) the node joins through; null for the first node.</param>
    /// <param name="transportCreated">Told the node's transport when the node creates it (to kill it, or count its connections).</param>
    /// <param name="dht">DHT options.</param>
    /// <param name="meterFactory">Meters (one factory for all nodes shares one meter per name).</param>
    /// <param name="loggerFactory">Loggers.</param>
    /// <param name="idleTimeout">The pool's idle timeout; the transport default when null.</param>
    /// <param name="dhtHost">Join, maintenance and snapshot intervals; the daemon's defaults when null.</param>
    /// <param name="shardExchange">The <c>ShardExchange</c> section (quotas, replicas, placement, maintenance intervals); the daemon's defaults when null.</param>
    /// <param name="placement">Trust and placement settings; the daemon's defaults when null.</param>
    /// <param name="streamWindowBytes">Each stream's initial receive window (<c>Transport:StreamWindowBytes</c>); the transport default when null.</param>
    /// <param name="bulkStreamWindowMaxBytes">The largest window a bulk stream grows to (<c>Transport:BulkStreamWindowMaxBytes</c>); the transport default when null.</param>
    /// <param name="configureTransport">Changes to the rest of the node's transport options (connection limits), applied last.</param>
    public static NodeParts Create(
        InMemoryNetwork network, NodeIdentityHolder identity, int seed, string? bootstrap, Action<InMemoryTransport> transportCreated,
        DhtOptions dht, IMeterFactory meterFactory, ILoggerFactory loggerFactory, TimeSpan? idleTimeout = null, DhtHostOptions? dhtHost = null,
        ShardExchangeOptions? shardExchange = null, Overlay.Placement.PlacementOptions? placement = null, int? streamWindowBytes = null,
        int? bulkStreamWindowMaxBytes = null, Action<TransportOptions>? configureTransport = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(transportCreated);
        var transport = new TransportOptions
        {
            ListenAddresses = [ListenAddress],
            BootstrapPeers = bootstrap is null ? [] : [bootstrap],
        };
        if (idleTimeout is { } idle)
        {
            transport.IdleTimeout = idle;
        }

        if (streamWindowBytes is { } window)
        {
            transport.StreamWindowBytes = window;
        }

        if (bulkStreamWindowMaxBytes is { } max)
        {
            transport.BulkStreamWindowMaxBytes = max;
        }

        configureTransport?.Invoke(transport);
        var name = identity.Identity.PeerId.ToString();
        var random = new Random(seed);
        return new NodeParts
        {
            Identity = identity,
            Time = network.Clock,
            Random = random,
            CreateTransport = protocols =>
            {
                var created = network.CreateNode(identity.Identity.PeerId, protocols, transport);
                transportCreated(created);
                return created;
            },
            OpenShardStore = (options, time, meters, logger) =>
            {
                var store = new InMemoryShardStore(options, time, meters, logger, name);
                return (store, store);
            },
            OpenDhtState = () => new InMemoryDhtStateStore(name),
            // The in-memory state applies each change at once: no writer thread outside the scheduler.
            OpenDhtJournal = state => (InMemoryDhtStateStore)state,
            OpenOwnedShardBook = () => new InMemoryOwnedShardBook(),
            // Nonces from their own source, so how many are drawn does not move the node's other draws.
            FillNonce = new SeededNonceSource(seed).Fill,
            LoggerFactory = loggerFactory,
            MeterFactory = meterFactory,
            Transport = transport,
            Dht = dht,
            DhtHost = dhtHost ?? new DhtHostOptions(),
            Storage = new StorageOptions(),
            Node = new NodeOptions(),
            ShardExchange = shardExchange ?? new ShardExchangeOptions(),
            Placement = placement ?? new Overlay.Placement.PlacementOptions(),
        };
    }
}
