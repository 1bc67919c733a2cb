using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// Chooses holders from the routing table: the contacts whose ids are closest to the shard id by XOR
/// distance (the shard id read as a point of the DHT keyspace). Deterministic for one table, so a node
/// that never saw the put asks the same neighbourhood first when it fetches.
/// </summary>
public sealed class RoutingTableHolderSelector(Func<IReadOnlyList<ContactSnapshot>> contacts) : IShardHolderSelector
{
    /// <inheritdoc/>
    public IReadOnlyList<HolderCandidate> Candidates(ShardId id)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        id.WriteTo(bytes);
        var target = PeerId.FromBytes(bytes);
        var result = new List<(PeerId Distance, HolderCandidate Candidate)>();
        foreach (var contact in contacts())
        {
            if (contact.Address is { } text && TransportAddress.TryParse(text, out var address, out _))
            {
                result.Add((contact.Id.Xor(target), new HolderCandidate(contact.Id, address.WithPeer(contact.Id))));
            }
        }

        result.Sort((a, b) => a.Distance.CompareTo(b.Distance));
        return result.ConvertAll(r => r.Candidate);
    }
}
