using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Node.Trust;
using Overlay.Placement.Selection;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// The node's <c>shard/1</c> participant. At start it attaches the holder's handler (keeping shards
/// for peers in the node's store, under the <c>ShardExchange</c> quotas) and builds the owner's side
/// (placing this node's shards on holders chosen from the routing table, by XOR distance or, with
/// <c>ShardExchange:Placement = "trust"</c>, by trust-weighted sampling; receipts kept in the book
/// <c>openOwnedShardBook</c> opens, <c>owned-shards/</c> in the daemon's data directory; holders found
/// first through <c>providers</c>); at stop it detaches the handler, so peers are answered Unavailable. It runs
/// no loop of its own: <see cref="ShardMaintenanceService"/> keeps the owner's shards, <see cref="ShardAnnouncementService"/>
/// announces the shards kept (each newly kept one, and each copy the owner keeps on probation, is passed to <c>held</c>). Audit nonces come from
/// <c>fillNonce</c>: the CSPRNG in the daemon, a source seeded from the node's seed in the simulator (<see cref="Overlay.Node.Composition.SeededNonceSource"/>).
/// </summary>
public sealed class ShardExchangeService(
    NodeIdentityHolder identity,
    IOptions<ShardExchangeOptions> options,
    IOptions<StorageOptions> storageOptions,
    Func<IOwnedShardBook> openOwnedShardBook,
    ShardStoreService store,
    TransportService transport,
    DhtService dht,
    IShardProviders providers,
    Action<ShardId> held,
    ProtocolDispatcher protocols,
    TimeProvider time,
    Action<Span<byte>> fillNonce,
    IMeterFactory meterFactory,
    ILogger<ShardExchangeService> logger,
    TrustService? trust = null) : INodePart
{
    /// <summary>The counters of both sides.</summary>
    public ShardExchangeMetrics Metrics { get; } = new(meterFactory.Create(ShardExchangeMetrics.MeterName));

    /// <summary>The owner's operations; null before start.</summary>
    public ShardOwner? Owner { get; private set; }

    /// <summary>How holders are chosen: by XOR distance from the routing table, or by trust-weighted sampling (<c>ShardExchange:Placement</c>).</summary>
    public IShardHolderSelector? Selector { get; private set; }

    /// <summary>
    /// Which holder keeps which of the owner's shards: kept up to date by <see cref="ShardMaintenanceService"/> after every
    /// put, audit and repair, and read by trust-weighted placement for each candidate's share of the owner's shards.
    /// </summary>
    public WatchedShards Watched { get; } = new();

    /// <summary>Largest shard this node places or keeps (Storage:MaxShardBytes).</summary>
    public int MaxShardBytes => storageOptions.Value.MaxShardBytes;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect = (address, ct) => transport.Pool.GetAsync(address, ct);
        var handler = new ShardExchangeHandler(identity.Identity, store.Store, MaxShardBytes, settings, time, Metrics, logger, connect, held);
        var client = new ShardExchangeClient(identity.Identity.PeerId, settings.StreamTimeout, time);
        var selector = Selector = CreateSelector(settings);
        Metrics.InProbation = () => Watched.InProbation;
        Owner = new ShardOwner(client, connect, selector, openOwnedShardBook(), store.Store, MaxShardBytes,
            settings, time, fillNonce, Metrics, logger, providers: providers, interactions: trust?.Interactions)
        {
            CopyKept = held,
        };
        protocols.Attach(ProtocolIds.Shard, handler);
        Log.ShardExchangeStarted(logger, settings.AcceptStores, settings.MaxBytesPerPeer, settings.MaxShardsPerPeer, settings.Replicas);
        return Task.CompletedTask;
    }

    /// <summary>Nothing to run: peers' requests are served by the handler, the owner's operations by their callers.</summary>
    public Task RunAsync(CancellationToken stoppingToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        protocols.Detach(ProtocolIds.Shard);
        Owner = null;
        (Selector as IDisposable)?.Dispose();
        Selector = null;
        return Task.CompletedTask;
    }

    private IShardHolderSelector CreateSelector(ShardExchangeOptions settings)
    {
        IReadOnlyList<Overlay.Dht.Persistence.ContactSnapshot> Contacts() => dht.Node?.SnapshotContacts() ?? [];
        if (!settings.UsesTrustPlacement() || trust is null)
        {
            return new RoutingTableHolderSelector(Contacts);
        }

        // The salt keys which peers an object maps to; holders must not predict it, so it comes from the
        // same source as audit nonces (the CSPRNG in the daemon, a source seeded from the node's seed in the simulator).
        Span<byte> salt = stackalloc byte[ShardPlacer.SaltSize];
        fillNonce(salt);
        var placer = new ShardPlacer(trust.Options, salt, trust.PlacementMetrics);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(salt);
        return new TrustWeightedHolderSelector(identity.Identity.PeerId, settings.Replicas, Contacts, trust, placer, Watched.HoldingsOf);
    }
}
