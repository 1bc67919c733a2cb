using Overlay.Crypto;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// <see cref="IRttEstimator"/> over a node's <see cref="VivaldiNode"/>, which the node feeds from every
/// good answer. Locks the Vivaldi state on each call, as the node does.
/// </summary>
internal sealed class VivaldiRttEstimator(VivaldiNode vivaldi, bool useReportedCoordinates) : IRttEstimator
{
    // Coordinates predict nothing useful until this node's own has settled: a fresh node starts at the
    // origin with error 1.
    private const double MaxErrorForPrediction = 0.75;

    public double EstimateRtt(DhtPeer peer)
    {
        lock (vivaldi)
        {
            return vivaldi.EstimateRtt(peer.Id, useReportedCoordinates ? peer.Coordinate : null, MaxErrorForPrediction);
        }
    }

    public VivaldiCoordinate? CoordinateOf(PeerId peer)
    {
        lock (vivaldi)
        {
            return vivaldi.TryGetPeerCoordinate(peer, out var c) ? c : null;
        }
    }
}
