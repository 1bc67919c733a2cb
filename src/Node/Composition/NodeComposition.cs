using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Configuration;
using Overlay.Crypto;
using Overlay.Node.Hosting;
using Overlay.Node.Trust;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Composition;

/// <summary>
/// The one composition root: builds a node's parts from <see cref="NodeParts"/>. The daemon's host, the
/// tests and the simulator all build their nodes here, so a simulated node runs exactly the services a
/// real one does (shard store and its collector, transport and bootstrap dials, DHT with join backoff,
/// maintenance and snapshots, shard exchange with peers).
/// </summary>
public static class NodeComposition
{
    /// <summary>Builds a node, not yet started. Options are validated here, so a bad value stops the node before it listens.</summary>
    /// <exception cref="ArgumentException">An options section is invalid; the message names every problem.</exception>
    public static OverlayNode Build(NodeParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var problems = new List<string>();
        problems.AddRange(parts.Node.Validate());
        problems.AddRange(parts.Transport.Validate());
        problems.AddRange(parts.Dht.Validate());
        problems.AddRange(parts.DhtHost.Validate());
        problems.AddRange(StorageOptionsValidator.Validate(parts.Storage));
        problems.AddRange(parts.ShardExchange.Validate());
        if (parts.ShardExchange.ReannounceInterval >= parts.Dht.RecordTtl)
        {
            problems.Add(OptionProblem.Describe(ShardExchangeOptions.SectionName, nameof(ShardExchangeOptions.ReannounceInterval), parts.ShardExchange.ReannounceInterval,
                $"it must be shorter than Dht:RecordTtl ({parts.Dht.RecordTtl}), or provider records lapse between announcements"));
        }
        problems.AddRange(parts.Placement.Validate());
        if (problems.Count > 0)
        {
            throw new ArgumentException("The node's options are invalid: " + string.Join(" ", problems), nameof(parts));
        }

        var logs = parts.LoggerFactory;
        var store = new ShardStoreService(Options.Create(parts.Storage), parts.Time, parts.MeterFactory, logs.CreateLogger<ShardStoreService>(), parts.OpenShardStore);
        var protocols = NodeProtocols.Create();
        var transportOptions = Options.Create(parts.Transport);
        var seeds = new BootstrapSeeds(transportOptions, parts.Time, logs.CreateLogger<BootstrapSeeds>());
        var transport = new TransportService(transportOptions, protocols, seeds, parts.CreateTransport, parts.Time, logs.CreateLogger<TransportService>());
        var self = parts.Identity.Identity.PeerId;
        // Every protocol reports how its exchanges with peers ended to the trust part, through one seam.
        var trust = new TrustService(
            parts.Identity.Identity, parts.Placement, PinnedPeers(parts.Transport), parts.ShardExchange.Placement, parts.Time, parts.MeterFactory, logs.CreateLogger<TrustService>());
        var dht = new DhtService(
            parts.Identity, Options.Create(parts.Dht), Options.Create(parts.DhtHost), Options.Create(parts.Node),
            transport, protocols, seeds, parts.OpenDhtState, parts.OpenDhtJournal, parts.Time, parts.Random, parts.MeterFactory, logs.CreateLogger<DhtService>(),
            trust.Interactions);
        var providers = new DhtShardProviders(() => dht.Node);
        var exchangeOptions = Options.Create(parts.ShardExchange);
        ShardAnnouncementService? announcements = null;
        var shards = new ShardExchangeService(
            parts.Identity, exchangeOptions, Options.Create(parts.Storage), parts.OpenOwnedShardBook, store, transport, dht, providers, id => announcements?.Held(id), protocols,
            parts.Time, parts.FillNonce, parts.MeterFactory, logs.CreateLogger<ShardExchangeService>(), trust);
        var reach = new Reachability.ReachabilityService(
            Options.Create(parts.DhtHost), transport, dht, protocols, parts.Time, parts.Random, parts.MeterFactory, logs.CreateLogger<Reachability.ReachabilityService>());
        announcements = new ShardAnnouncementService(exchangeOptions, store, providers, shards.Metrics, parts.Time, logs.CreateLogger<ShardAnnouncementService>());
        var maintenance = new ShardMaintenanceService(exchangeOptions, shards, parts.Time, logs.CreateLogger<ShardMaintenanceService>(), dht);
        var shardOptions = parts.ShardExchange;
        var ownCapacity = new OwnCapacityRecord(
            parts.Identity.Identity,
            () => OfferedRoom(store, shardOptions),
            parts.Placement.CapacityRecordInterval,
            parts.Time);
        var trustExchange = new TrustExchangeService(
            trust, ownCapacity, transport, dht, protocols, parts.Transport.MaxFrameBytes, parts.Time, parts.Random, logs.CreateLogger<TrustExchangeService>());
        return new OverlayNode(self, store, transport, trust, dht, shards, reach, maintenance, announcements, trustExchange);
    }

    // What this node offers one owner now: nothing when it keeps no shards for peers, else the store's free room up to
    // the per-owner limit (a record goes to every asker, so it states the most any one of them may place). Null before the store opens.
    private static (long Free, long Total)? OfferedRoom(ShardStoreService store, ShardExchangeOptions options)
    {
        StorageUsage usage;
        try
        {
            usage = store.Store.GetUsage();
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return (options.AcceptStores ? Math.Min(usage.FreeBytes, options.MaxBytesPerPeer) : 0, usage.CapacityBytes);
    }

    // The PeerIds the bootstrap addresses pin: EigenTrust's pre-trusted peers unless Placement:PreTrustedPeers names others.
    private static List<PeerId> PinnedPeers(TransportOptions transport)
    {
        var pinned = new List<PeerId>();
        foreach (var text in transport.BootstrapPeers)
        {
            if (TransportAddress.TryParse(text, out var address, out _) && address.ExpectedPeer is { } peer)
            {
                pinned.Add(peer);
            }
        }

        return pinned;
    }
}
