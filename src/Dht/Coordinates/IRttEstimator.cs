using Overlay.Crypto;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// What lookups know about round-trip times to peers: measured, or predicted from network coordinates.
/// Lookups order candidates by it and set how long they wait for each; it never changes what a lookup returns.
/// </summary>
public interface IRttEstimator
{
    /// <summary>
    /// RTT to <paramref name="peer"/> in ms: measured lately, else predicted from the coordinate it reported
    /// itself or the one another peer passed on with it (<see cref="DhtPeer.Coordinate"/>); NaN when unknown.
    /// </summary>
    double EstimateRtt(DhtPeer peer);

    /// <summary>
    /// RTT to <paramref name="peer"/> in ms as this node measured it lately, NaN when it has no measurement.
    /// Lookups give up on a peer only at a multiple of this figure: a prediction from a coordinate can be far
    /// too low for a peer never measured, and giving up on it early can cost the lookup one of the k closest.
    /// </summary>
    double MeasuredRtt(PeerId peer);

    /// <summary>The coordinate <paramref name="peer"/> last reported in its own answers to this node, or null.</summary>
    VivaldiCoordinate? CoordinateOf(PeerId peer);
}
