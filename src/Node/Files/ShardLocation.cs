using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Where one shard can be fetched from: the holders known to keep it, nearest first, and the round trip
/// to the nearest in milliseconds (0 when this node keeps it; +∞ when no holder is known or none has a
/// measured round trip).
/// </summary>
public sealed record ShardLocation(ShardId Id, double RoundTripMs, IReadOnlyList<HolderCandidate> Holders)
{
    /// <summary>A shard with no holder known: fetched from whoever the source finds then.</summary>
    public static ShardLocation Unknown(ShardId id) => new(id, double.PositiveInfinity, []);
}
