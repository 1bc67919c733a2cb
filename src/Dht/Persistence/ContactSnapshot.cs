using Overlay.Crypto;
using Overlay.Dht.Coordinates;

namespace Overlay.Dht.Persistence;

/// <summary>A routing-table contact as listed to an operator or saved across restarts.</summary>
/// <param name="Id">The peer's id.</param>
/// <param name="Address">Dialable address without a pinned PeerId, e.g. <c>tcp://192.0.2.7:4001</c>; null when unknown.</param>
/// <param name="LatencyMs">Smoothed round-trip time in milliseconds; NaN when never measured.</param>
/// <param name="LastSeen">When the peer last answered or sent a request.</param>
/// <param name="FailedRequests">Requests that failed since it last answered (not saved; 0 after loading).</param>
/// <param name="Coordinate">The network coordinate it last reported, when known (not saved).</param>
public readonly record struct ContactSnapshot(
    PeerId Id, string? Address, double LatencyMs, DateTimeOffset LastSeen, int FailedRequests, VivaldiCoordinate? Coordinate);
