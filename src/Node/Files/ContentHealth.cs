using System.Text.Json.Nodes;
using Overlay.Node.Shards;

namespace Overlay.Node.Files;

/// <summary>
/// How healthy stored content looks from this node's receipts: per stripe, the shards with a holder
/// whose receipt has not expired, and how many more of them the stripe can lose (live − k; below zero the
/// stripe cannot be rebuilt from the holders known here). Content stored by another node shows no holders:
/// only the storing node keeps receipts.
/// </summary>
public static class ContentHealth
{
    /// <summary>One JSON object per stripe: <c>stripe</c>, <c>shards</c>, <c>live</c>, <c>canLose</c>, <c>holders</c> (distinct peers).</summary>
    /// <exception cref="ShardBookException">The owner's book cannot be read.</exception>
    public static JsonArray Stripes(FileManifest manifest, ShardOwner owner, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(owner);
        var stripes = new JsonArray();
        for (var s = 0; s < manifest.StripeCount; s++)
        {
            var live = 0;
            var peers = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < manifest.ShardsPerStripe; i++)
            {
                var holders = LiveHolders(owner.Status(manifest.Shard(s, i)), now);
                if (holders.Count > 0)
                {
                    live++;
                }

                foreach (var h in holders)
                {
                    peers.Add(h!.GetValue<string>());
                }
            }

            stripes.Add((JsonNode)new JsonObject
            {
                ["stripe"] = s,
                ["shards"] = manifest.ShardsPerStripe,
                ["live"] = live,
                ["canLose"] = live - manifest.DataShards,
                ["holders"] = peers.Count,
            });
        }

        return stripes;
    }

    /// <summary>The PeerIds of the shard's holders whose receipts have not expired.</summary>
    public static JsonArray LiveHolders(OwnedShard? shard, DateTimeOffset now)
    {
        var result = new JsonArray();
        foreach (var h in shard?.Holders ?? [])
        {
            if (StorageReceipt.TryDecode(h.Receipt, out var receipt, out _) && receipt.ExpiresAt > now && h.LastAuditPassed != false)
            {
                result.Add((JsonNode)JsonValue.Create(h.Peer.ToString()));
            }
        }

        return result;
    }
}
