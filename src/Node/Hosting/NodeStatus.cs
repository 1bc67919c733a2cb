using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Metrics;
using Overlay.Node.Reachability;
using Overlay.Node.Trust;

namespace Overlay.Node.Hosting;

/// <summary>
/// What <c>overlay status</c> shows of a running node: identity, addresses, uptime, DHT, shard store, what it
/// keeps for peers, trust, the repairs of its own shards, reachability and DHT mode, clock skew against peers, routing-table health and the metrics endpoint, read from the services that own each at the moment of the request.
/// </summary>
public sealed class NodeStatus(
    NodeIdentityHolder identity, TransportService transport, DhtService dht, ShardStoreService store, ShardExchangeService shards,
    ReachabilityService reachability, MetricsEndpoint metrics, TimeProvider time, TrustService? trust = null)
{
    private readonly long _started = time.GetTimestamp();

    /// <summary>The status as the control API sends it; counts a part that is not running yet are null.</summary>
    public JsonObject Snapshot()
    {
        var listening = new JsonArray();
        foreach (var address in transport.LocalAddresses)
        {
            listening.Add((JsonNode)JsonValue.Create(address.ToString()));
        }

        var node = dht.Node;
        JsonObject? storage = null;
        try
        {
            var usage = store.Store.GetUsage();
            storage = new JsonObject
            {
                ["shards"] = usage.ShardCount,
                ["usedBytes"] = usage.UsedBytes,
                ["capacityBytes"] = usage.CapacityBytes,
                ["fileBytes"] = usage.FileBytes,
            };
        }
        catch (InvalidOperationException)
        {
            // Not open yet, or closing: the status says so by leaving the section null.
        }

        var network = reachability.ToJson(reachability.Last);
        // Since this start: the store keeps no per-owner totals to sum what is held for all peers now.
        var exchange = shards.Metrics.ToJson();
        return new JsonObject
        {
            ["peerId"] = identity.Identity.PeerId.ToString(),
            ["uptimeSeconds"] = Math.Round(time.GetElapsedTime(_started).TotalSeconds, 1),
            ["listening"] = listening,
            ["announced"] = node?.Address,
            ["connections"] = node is null ? null : transport.Pool.Count,
            ["dht"] = node is null ? null : new JsonObject
            {
                ["joined"] = dht.Joined,
                ["contacts"] = node.ContactCount,
                ["records"] = node.RecordCount,
                ["requestsServed"] = node.Metrics.RequestsServed,
                ["requestsRefused"] = node.Metrics.RequestsDropped,
            },
            ["storage"] = storage,
            ["trust"] = trust?.Summary(),
            ["forPeers"] = new JsonObject
            {
                ["storesAccepted"] = exchange["storesAccepted"]?.DeepClone(),
                ["storedBytes"] = exchange["storedBytes"]?.DeepClone(),
                ["fetchesServed"] = exchange["fetchesServed"]?.DeepClone(),
            },
            ["repairs"] = new JsonObject
            {
                ["inFlight"] = exchange["repairsInFlight"]?.DeepClone(),
                ["started"] = exchange["repairsStarted"]?.DeepClone(),
                ["finished"] = exchange["repairsFinished"]?.DeepClone(),
                ["failed"] = exchange["repairsFailed"]?.DeepClone(),
                ["suspects"] = exchange["suspects"]?.DeepClone(),
            },
            ["reachability"] = network["reachability"]?.DeepClone(),
            ["clock"] = network["clock"]?.DeepClone(),
            ["routing"] = network["routing"]?.DeepClone(),
            ["metrics"] = new JsonObject { ["url"] = metrics.Url, ["problem"] = metrics.Problem },
            ["time"] = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        };
    }
}
