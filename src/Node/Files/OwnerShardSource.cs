using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Fetches shards through the node's <see cref="ShardOwner"/>: its own store, the holders its provider
/// records and receipts name, nearest first by <paramref name="roundTrips"/> (the routing table's
/// measured round trips, in milliseconds, taken once per operation), then the nodes closest to the id.
/// </summary>
public sealed class OwnerShardSource(ShardOwner owner, IReadOnlyDictionary<PeerId, double>? roundTrips = null) : IShardSource
{
    /// <inheritdoc/>
    public async Task<byte[]> FetchAsync(ShardId id, CancellationToken cancellationToken) =>
        (await owner.GetAsync(id, cancellationToken)).Data;

    /// <inheritdoc/>
    public async Task<ShardLocation> LocateAsync(ShardId id, CancellationToken cancellationToken)
    {
        if (owner.HoldsLocally(id))
        {
            return new ShardLocation(id, 0, []);
        }

        var holders = await owner.LocateAsync(id, cancellationToken);
        return HolderRanking.Rank(id, holders, roundTrips);
    }

    /// <inheritdoc/>
    public async Task<byte[]> FetchAsync(ShardLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        return (await owner.GetAsync(location.Id, location.Holders, cancellationToken)).Data;
    }
}
