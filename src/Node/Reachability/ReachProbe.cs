using Overlay.Crypto;

namespace Overlay.Node.Reachability;

/// <summary>One peer asked for a dial back (or for its clock).</summary>
/// <param name="Peer">The peer asked.</param>
/// <param name="Answer">Its answer; null when asking failed (see <paramref name="Failure"/>).</param>
/// <param name="Failure">Why the peer could not be asked or its answer not read; null when it answered.</param>
/// <param name="RoundTripMs">Milliseconds from sending the request to reading the answer (of the TIME request when one preceded the dial back).</param>
/// <param name="SkewMs">
/// The peer's clock minus this node's, in milliseconds, estimated at the midpoint of the round trip; its error is
/// at most half of <paramref name="RoundTripMs"/>. Positive: the peer's clock is ahead. NaN when it did not answer.
/// </param>
public sealed record ReachProbe(PeerId Peer, ReachAnswer? Answer, string? Failure, double RoundTripMs, double SkewMs)
{
    /// <summary>Half the round trip: how far the true skew may lie from <see cref="SkewMs"/>.</summary>
    public double SkewErrorMs => RoundTripMs / 2;
}
