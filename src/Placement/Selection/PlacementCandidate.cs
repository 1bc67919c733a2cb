using System.Text;
using Overlay.Crypto;

namespace Overlay.Placement.Selection;

/// <summary>
/// A peer that could hold a replica, described by plain values the caller gathers: nothing here is a
/// transport or DHT type. Measured values are the node's own (a peer's self-reported figures cost nothing
/// to fake); NaN marks a value not known yet.
/// </summary>
/// <param name="Peer">The peer.</param>
/// <param name="NetworkGroup">
/// Opaque key of the peer's public network (IPv4 /24, IPv6 /48), as the DHT's routing limits compute it; 0
/// for loopback, private, link-local and unique-local addresses and unknown ones, which no subnet cap limits.
/// </param>
/// <param name="Region">Key of the region the peer announces (<see cref="RegionKey"/>), 0 for none.</param>
/// <param name="CoordinateX">Planar X of the peer's network coordinate in ms; NaN when unknown.</param>
/// <param name="CoordinateY">Planar Y of the peer's network coordinate in ms; NaN when unknown.</param>
/// <param name="RttMs">Round-trip time this node measured to the peer, in ms; NaN when not measured.</param>
/// <param name="SuccessRate">Share of this node's exchanges with the peer that succeeded, in [0, 1]; refused stores count as failures.</param>
/// <param name="Uptime">Share of the time this node found the peer reachable, in [0, 1].</param>
/// <param name="FreeBytes">Free capacity the peer announced in its signed capacity record; 0 or less: none.</param>
public readonly record struct PlacementCandidate(
    PeerId Peer,
    ulong NetworkGroup,
    ulong Region,
    double CoordinateX,
    double CoordinateY,
    double RttMs,
    double SuccessRate,
    double Uptime,
    long FreeBytes)
{
    /// <summary>
    /// Replicas of the placing node's objects this candidate holds already (the owner's own count; 0 when not known).
    /// A candidate at <see cref="PlacementOptions.HolderShareCap"/> times its fair share weighs as a peer without trust.
    /// </summary>
    public int Held { get; init; }

    /// <summary>
    /// The placing node's own evidence rates this candidate at zero (it lost or lied about more than it served): it is a last
    /// resort whatever its global trust, drawn only once no other eligible candidate is left, since what others vouch for
    /// does not outweigh what the node saw (<see cref="WeightedCandidates.LastResortFactor"/>).
    /// </summary>
    public bool Caught { get; init; }

    /// <summary>
    /// A stable non-zero key of a region name (FNV-1a 64 of its UTF-8 bytes, lowercased), 0 for an empty
    /// or null name. Equal names give equal keys on every node.
    /// </summary>
    public static ulong RegionKey(string? region)
    {
        if (string.IsNullOrEmpty(region))
        {
            return 0;
        }

        const ulong Offset = 14695981039346656037UL;
        const ulong Prime = 1099511628211UL;
        var hash = Offset;
        foreach (var b in Encoding.UTF8.GetBytes(region.ToLowerInvariant()))
        {
            hash = (hash ^ b) * Prime;
        }

        return hash == 0 ? 1 : hash;
    }
}
