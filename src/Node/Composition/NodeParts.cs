using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Overlay.Dht;
using Overlay.Dht.Persistence;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Placement;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Composition;

/// <summary>
/// Everything a node is built from that is shaped by time, chance, the network, the disk or the operator.
/// The daemon passes the system clock, <see cref="System.Random.Shared"/>, TCP+TLS/QUIC, SQLite files and the
/// console logger; the simulator and tests pass a virtual clock, a seeded source, the in-memory network
/// and in-memory stores. <see cref="NodeComposition.Build"/> turns them into an <see cref="OverlayNode"/>.
/// </summary>
public sealed class NodeParts
{
    /// <summary>The node's key (the one the transport authenticates with). Owned by the caller.</summary>
    public required NodeIdentityHolder Identity { get; init; }

    /// <summary>Clock of every timeout, backoff, loop and expiry in the node.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>Source of every random choice in the node; must be thread-safe unless the node runs on one scheduler.</summary>
    public required Random Random { get; init; }

    /// <summary>Builds the node's transport around the protocols it serves (the network the node is on).</summary>
    public required Func<ProtocolDispatcher, ITransport> CreateTransport { get; init; }

    /// <summary>Opens the shard store when the node starts.</summary>
    public required ShardStoreOpener OpenShardStore { get; init; }

    /// <summary>Opens where the DHT's contacts and records are kept across restarts, when the node starts.</summary>
    public required Func<IDhtStateStore> OpenDhtState { get; init; }

    /// <summary>The writer that saves the DHT's changes to that state in order (group commit over a file, or at once in memory).</summary>
    public required Func<IDhtStateStore, IDhtStateJournal> OpenDhtJournal { get; init; }

    /// <summary>Opens where the node keeps the receipts of the shards it places (a directory of files in the daemon, memory in the simulator).</summary>
    public required Func<Overlay.Node.Shards.IOwnedShardBook> OpenOwnedShardBook { get; init; }

    /// <summary>Fills audit nonces, which holders must not guess: the CSPRNG in the daemon, a seeded source in the simulator.</summary>
    public required Action<Span<byte>> FillNonce { get; init; }

    /// <summary>Loggers of every part.</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>Meters of every part (one meter per name is shared by all nodes of a process).</summary>
    public required IMeterFactory MeterFactory { get; init; }

    /// <summary>The <c>Node</c> section.</summary>
    public NodeOptions Node { get; init; } = new();

    /// <summary>The <c>Transport</c> section, listen addresses and bootstrap peers included.</summary>
    public TransportOptions Transport { get; init; } = new();

    /// <summary>The <c>Dht</c> section.</summary>
    public DhtOptions Dht { get; init; } = new();

    /// <summary>The <c>DhtHost</c> section (join backoff, maintenance and snapshot intervals).</summary>
    public DhtHostOptions DhtHost { get; init; } = new();

    /// <summary>The <c>Storage</c> section.</summary>
    public StorageOptions Storage { get; init; } = new();

    /// <summary>The <c>ShardExchange</c> section (quotas for peers' shards, replicas of this node's).</summary>
    public ShardExchangeOptions ShardExchange { get; init; } = new();

    /// <summary>The <c>Placement</c> section (trust computation and trust-weighted placement).</summary>
    public PlacementOptions Placement { get; init; } = new();
}
