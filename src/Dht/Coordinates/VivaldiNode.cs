using Overlay.Crypto;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// One node's Vivaldi state: its coordinate, its error estimate and its per-peer RTT filter. Each RTT
/// measured to a peer, together with that peer's coordinate and error, moves the coordinate along the
/// spring between them (Dabek et al., SIGCOMM 2004, Figure 3, with heights as in §5.4).
/// </summary>
public sealed class VivaldiNode
{
    private readonly VivaldiOptions _options;
    private readonly Random _random;
    private readonly RttFilter _filter;

    /// <summary>Creates a node at <paramref name="start"/> (the origin, or a location-hint seed).</summary>
    /// <param name="options">Algorithm constants.</param>
    /// <param name="random">Seeded source for the random direction needed when two nodes sit on the same point.</param>
    /// <param name="start">Initial coordinate, e.g. <see cref="VivaldiCoordinate.FromLocation"/>.</param>
    public VivaldiNode(VivaldiOptions options, Random random, VivaldiCoordinate start = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        _options = options;
        _random = random;
        _filter = new RttFilter(options.FilterWindow, options.MaxFilteredPeers);
        // A height of exactly zero on both ends would give the height axis no force at all, so start at the floor.
        var s = start.IsValid ? start : default;
        Coordinate = s with { Height = Math.Max(s.Height, Math.Max(options.MinHeight, 1e-3)) };
        Error = options.InitialError;
    }

    /// <summary>The node's current coordinate.</summary>
    public VivaldiCoordinate Coordinate { get; private set; }

    /// <summary>The node's estimate of its own relative prediction error (0 = perfect; starts at 1).</summary>
    public double Error { get; private set; }

    /// <summary>Peers with an RTT filter window.</summary>
    internal int FilteredPeers => _filter.Count;

    /// <summary>
    /// Forgets the RTT window and coordinate of every peer <paramref name="keep"/> rejects (given the first 64
    /// bits of the peer's id); returns how many were forgotten.
    /// </summary>
    internal int ForgetPeersUnless(Func<ulong, bool> keep) => _filter.ForgetUnless(keep);

    /// <summary>The coordinate <paramref name="peer"/> last reported with an accepted sample, if it is still remembered.</summary>
    public bool TryGetPeerCoordinate(PeerId peer, out VivaldiCoordinate coordinate) => _filter.TryGetCoordinate(peer, out coordinate);

    /// <summary>The median of the RTTs measured to <paramref name="peer"/> lately (ms), if it is still remembered.</summary>
    public bool TryGetMeasuredRtt(PeerId peer, out double rttMs) => _filter.TryGetMedian(peer, out rttMs);

    /// <summary>
    /// Best RTT estimate to <paramref name="peer"/> in ms: the median of its recent measurements; else the
    /// distance to the coordinate it last reported to this node, or to <paramref name="reported"/> (one
    /// another peer passed on), once this node's own coordinate has settled (error below
    /// <paramref name="maxError"/>); else NaN.
    /// </summary>
    public double EstimateRtt(PeerId peer, VivaldiCoordinate? reported, double maxError)
    {
        if (_filter.TryGetMedian(peer, out var measured))
        {
            return measured;
        }

        if (Error >= maxError)
        {
            return double.NaN;
        }

        if (_filter.TryGetCoordinate(peer, out var own))
        {
            return PredictRtt(own);
        }

        return reported is { IsValid: true } c ? PredictRtt(c) : double.NaN;
    }

    /// <summary>Samples accepted so far.</summary>
    public long Updates { get; private set; }

    /// <summary>Predicted RTT in ms to a node at <paramref name="remote"/>.</summary>
    public double PredictRtt(VivaldiCoordinate remote) => Coordinate.DistanceTo(remote);

    /// <summary>
    /// Feeds one RTT sample to <paramref name="peer"/> (ms) with the coordinate and error the peer
    /// reported. The sample goes through the peer's median filter first. Refuses (returns false) samples
    /// that are not positive and finite, and remote state that is out of range.
    /// </summary>
    public bool Observe(PeerId peer, VivaldiCoordinate remote, double remoteError, double rttMs)
    {
        if (!(rttMs > 0) || !double.IsFinite(rttMs) || !remote.IsValid || !(remoteError > 0) || !double.IsFinite(remoteError))
        {
            return false;
        }

        var smoothed = _filter.Add(peer, rttMs);
        _filter.SetCoordinate(peer, remote);
        Update(remote, Math.Min(remoteError, _options.MaxError), smoothed);
        return true;
    }

    private void Update(VivaldiCoordinate remote, double remoteError, double rtt)
    {
        var local = Coordinate;
        var dx = local.X - remote.X;
        var dy = local.Y - remote.Y;
        var planar = Math.Sqrt((dx * dx) + (dy * dy));
        var heights = local.Height + remote.Height;
        var predicted = planar + heights;

        // Sample weight: trust the sample more when we are less sure of ourselves than the peer is.
        var w = Error / (Error + remoteError);
        var sampleError = Math.Abs(predicted - rtt) / rtt;
        Error = Math.Clamp((sampleError * _options.Ce * w) + (Error * (1 - (_options.Ce * w))), 1e-6, _options.MaxError);

        // Adaptive timestep δ = cc·w moves confident nodes less (paper §4.3).
        var force = _options.Cc * w * (rtt - predicted);
        if (planar < 1e-9)
        {
            // Coincident points have no direction: pick a random one so that springs can separate them.
            var angle = _random.NextDouble() * 2 * Math.PI;
            dx = Math.Cos(angle);
            dy = Math.Sin(angle);
            planar = 1;
        }

        // Unit vector of [x_i - x_j, h_i + h_j] under the height norm ‖[v, h]‖ = ‖v‖ + h (§5.4).
        var norm = planar + heights;
        var x = local.X + (force * dx / norm);
        var y = local.Y + (force * dy / norm);
        var h = local.Height + (force * heights / norm);
        var next = new VivaldiCoordinate(x, y, Math.Max(_options.MinHeight, h));
        if (next.IsValid)
        {
            Coordinate = next;
            Updates++;
        }
    }
}
