using Overlay.Crypto;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// <see cref="IRttEstimator"/> over a node's <see cref="VivaldiNode"/>, which the node feeds from every
/// good answer. Reaches the Vivaldi state through the node's guard on each call.
/// </summary>
internal sealed class VivaldiRttEstimator(Guarded<VivaldiNode> vivaldi, bool useReportedCoordinates) : IRttEstimator
{
    // Coordinates predict nothing useful until this node's own has settled: a fresh node starts at the
    // origin with error 1.
    private const double MaxErrorForPrediction = 0.75;

    public double EstimateRtt(DhtPeer peer)
    {
        using (vivaldi.Enter(out var node))
        {
            return node.EstimateRtt(peer.Id, useReportedCoordinates ? peer.Coordinate : null, MaxErrorForPrediction);
        }
    }

    public double MeasuredRtt(PeerId peer)
    {
        using (vivaldi.Enter(out var node))
        {
            return node.TryGetMeasuredRtt(peer, out var rtt) ? rtt : double.NaN;
        }
    }

    public VivaldiCoordinate? CoordinateOf(PeerId peer)
    {
        using (vivaldi.Enter(out var node))
        {
            return node.TryGetPeerCoordinate(peer, out var c) ? c : null;
        }
    }
}
