using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// Shard provider records through the node's DHT participant: the key of shard <c>s</c> is <c>s</c>
/// read as a point of the DHT keyspace. A provider record names a PeerId only; its address comes from
/// the routing table, else from a lookup of that PeerId (the peer itself answers when it is up).
/// </summary>
public sealed class DhtShardProviders(Func<DhtNode?> dht) : IShardProviders
{
    /// <inheritdoc/>
    public async Task<int> AnnounceAsync(IReadOnlyCollection<ShardId> ids, CancellationToken cancellationToken) =>
        dht() is { } node ? (await node.AnnounceProvidersAsync(ids.Select(KeyOf).ToArray(), cancellationToken).ConfigureAwait(true)).Accepted : 0;

    /// <inheritdoc/>
    public async Task<IReadOnlyList<HolderCandidate>> FindAsync(ShardId id, CancellationToken cancellationToken)
    {
        if (dht() is not { } node)
        {
            return [];
        }

        var providers = await node.GetProvidersAsync(KeyOf(id), cancellationToken).ConfigureAwait(true);
        var known = new Dictionary<PeerId, string>();
        foreach (var c in node.SnapshotContacts())
        {
            if (c.Address is { } address)
            {
                known[c.Id] = address;
            }
        }

        var resolving = new List<Task<HolderCandidate?>>();
        foreach (var p in providers)
        {
            if (p.Provider != node.Id)
            {
                resolving.Add(ResolveAsync(node, p.Provider, known, cancellationToken));
            }
        }

        var result = new List<HolderCandidate>();
        foreach (var candidate in await Task.WhenAll(resolving).ConfigureAwait(true))
        {
            if (candidate is { } c)
            {
                result.Add(c);
            }
        }

        return result;
    }

    private static async Task<HolderCandidate?> ResolveAsync(DhtNode node, PeerId peer, Dictionary<PeerId, string> known, CancellationToken cancellationToken)
    {
        if (!known.TryGetValue(peer, out var text))
        {
            var lookup = await node.FindClosestAsync(peer, cancellationToken).ConfigureAwait(true);
            text = lookup.Closest.FirstOrDefault(c => c.Id == peer).Address;
        }

        return text is not null && TransportAddress.TryParse(text, out var address, out _) ? new HolderCandidate(peer, address.WithPeer(peer)) : null;
    }

    private static PeerId KeyOf(ShardId id)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        id.WriteTo(bytes);
        return PeerId.FromBytes(bytes);
    }
}
