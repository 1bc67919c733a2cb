using Overlay.Crypto;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Selection;

/// <summary>
/// A candidate set with each candidate's placement weight w = τ^α · p^β · c^γ · d worked out once, so that
/// many objects can be placed on it, each in time that barely grows with the set (see
/// <see cref="ShardPlacer"/>). Several threads may select from one set at once, as long as none calls
/// <see cref="Reset"/> meanwhile. docs/PLACEMENT.md, "Weights", explains each factor.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>τ: global trust over <see cref="TrustSnapshot.ReferenceTrust"/> (what a peer of the crowd holds), capped at
/// <see cref="PlacementOptions.TrustCap"/>. Candidates without trust share <see cref="PlacementOptions.NewcomerShare"/>
/// of the total weight between them (their τ is replaced by a common value), so newcomers are placed on now
/// and then and can earn trust, while trust never decides by argmax. Without a snapshot (trust off), or with one that
/// rests on no evidence (<see cref="TrustSnapshot.RestsOnEvidence"/>), τ is 1.</item>
/// <item>A candidate holding <see cref="PlacementOptions.HolderShareCap"/> times its fair share of the owner's replicas
/// (<see cref="PlacementCandidate.Held"/> over the candidates' total divided by their number, at least one) counts as
/// untrusted, so trust cannot pile an owner's shards on a few peers.</item>
/// <item>A candidate the placing node itself caught losing shards (<see cref="PlacementCandidate.Caught"/>) is a last resort,
/// whatever others vouch for it: its weight is <see cref="LastResortFactor"/> of the lightest other eligible candidate's, so
/// it is drawn only once the others are taken or passed over, and placement never refuses for want of it. The newcomer
/// share is for peers without evidence; a peer with evidence against it is not one.</item>
/// <item>p: success rate × uptime × RTT score, RTT score = ref / (ref + rtt). Unknown values count as 0.5.</item>
/// <item>c: free / (free + ref) of the announced free bytes; a candidate announcing none is not eligible.</item>
/// <item>d: 1 / (candidates in the same public /24 or /48): a subnet weighs as one candidate however many
/// identities it hosts.</item>
/// </list>
/// A candidate whose weight is zero (success rate or uptime 0, no free bytes) is never chosen.
/// </remarks>
public sealed class WeightedCandidates
{
    private PeerId[] _peers = [];
    private ulong[] _peerKeys = [];
    private double[] _inverseWeights = [];
    private ulong[] _groups = [];
    private ulong[] _regions = [];
    private double[] _x = [];
    private double[] _y = [];
    private long[] _free = [];
    private double[] _scratch = [];
    private bool[] _lastResort = [];
    private readonly Dictionary<ulong, int> _groupCounts = new();

    /// <summary>
    /// A caught candidate's weight over the lightest other eligible candidate's: with keys E/w (E exponential), one is drawn
    /// before that other candidate about once in 10^12 draws, so in practice only when no other candidate is left.
    /// </summary>
    public const double LastResortFactor = 1e-12;

    private const double MinimumLastResortWeight = 1e-300;

    /// <summary>Number of candidates, eligible or not.</summary>
    public int Count { get; private set; }

    /// <summary>Candidates with a positive weight.</summary>
    public int EligibleCount { get; private set; }

    /// <summary>True when weights used global trust (a non-empty snapshot with at least one trusted candidate).</summary>
    public bool TrustApplied { get; private set; }

    /// <summary>
    /// Weight-averaged chance that a placement on this set fails: Σ w·(1 − success rate) / Σ w, with an
    /// unknown success rate counting as 0.5. A proxy for the replication rule's per-replica loss chance.
    /// </summary>
    public double ExpectedFailureRate { get; private set; }

    /// <summary>A new set prepared from <paramref name="candidates"/>.</summary>
    public static WeightedCandidates Prepare(ReadOnlySpan<PlacementCandidate> candidates, TrustSnapshot trust, PlacementOptions options)
    {
        var set = new WeightedCandidates();
        set.Reset(candidates, trust, options);
        return set;
    }

    /// <summary>
    /// Prepares this set again from <paramref name="candidates"/>, reusing its arrays: no allocation once they
    /// are large enough. <paramref name="trust"/> <see cref="TrustSnapshot.Empty"/> places without trust.
    /// </summary>
    public void Reset(ReadOnlySpan<PlacementCandidate> candidates, TrustSnapshot trust, PlacementOptions options)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(options);
        var n = candidates.Length;
        EnsureCapacity(n);
        Count = n;
        _groupCounts.Clear();
        for (var i = 0; i < n; i++)
        {
            var group = candidates[i].NetworkGroup;
            if (group != 0)
            {
                _groupCounts[group] = _groupCounts.GetValueOrDefault(group) + 1;
            }
        }

        // A holder at L times its fair share of the owner's replicas loses its trust advantage (docs/PLACEMENT.md, "Load").
        var held = 0L;
        for (var i = 0; i < n; i++)
        {
            held += Math.Max(0, candidates[i].Held);
        }

        var shareCap = options.HolderShareCap * Math.Max(1.0, n > 0 ? (double)held / n : 0);

        // Pass 1: the logarithm of each weight without τ into _scratch, τ's logarithm into _inverseWeights.
        // Trust that rests on no row at all is p, an assumption: weighing by it would stake every first placement on it.
        var useTrust = trust.Count > 0 && trust.RestsOnEvidence;
        var reference = trust.ReferenceTrust;
        var anyTrusted = false;
        var maxLog = double.NegativeInfinity;
        for (var i = 0; i < n; i++)
        {
            ref readonly var c = ref candidates[i];
            _peers[i] = c.Peer;
            _peerKeys[i] = PeerKey(c.Peer);
            _groups[i] = c.NetworkGroup;
            _regions[i] = c.Region;
            _x[i] = c.CoordinateX;
            _y[i] = c.CoordinateY;
            _free[i] = c.FreeBytes;
            _lastResort[i] = false;

            var logWeight = LogWeightWithoutTrust(c, options);
            var logTrust = 0.0;
            if (useTrust && !double.IsNegativeInfinity(logWeight))
            {
                var t = trust.TrustOf(c.Peer);
                if (c.Caught)
                {
                    logTrust = double.NaN; // a last resort: scaled in pass 2 below every other candidate
                    _lastResort[i] = true;
                }
                else if (t > 0 && c.Held < shareCap)
                {
                    // τ is trust in units of what a peer of the crowd holds, capped: below the cap it is linear,
                    // so a collective gains nothing by spreading its trust evenly; the cap keeps the pre-trusted
                    // peers (who hold a between them) from drawing most placements.
                    logTrust = options.TrustExponent * Math.Log(Math.Min(t / reference, options.TrustCap));
                    anyTrusted = true;
                }
                else
                {
                    logTrust = double.NaN; // untrusted: scaled in pass 2
                }
            }

            _scratch[i] = logWeight;
            _inverseWeights[i] = logTrust;
            var full = double.IsNaN(logTrust) ? logWeight : logWeight + logTrust;
            if (full > maxLog)
            {
                maxLog = full;
            }
        }

        TrustApplied = useTrust && anyTrusted;

        // Pass 2: weights relative to the largest (so none underflows), summed per trusted and untrusted group.
        var trustedSum = 0.0;
        var untrustedSum = 0.0;
        for (var i = 0; i < n; i++)
        {
            var logWeight = _scratch[i];
            var logTrust = _inverseWeights[i];
            double weight;
            if (double.IsNegativeInfinity(logWeight))
            {
                weight = 0;
            }
            else if (_lastResort[i])
            {
                weight = -Math.Exp(logWeight - maxLog); // scaled below the others once they are known
            }
            else if (double.IsNaN(logTrust))
            {
                // Without trust: weighed by p, c and d alone, then scaled below. While no candidate is trusted
                // the untrusted ones are all there is and stay unscaled.
                weight = Math.Exp(logWeight - maxLog);
                untrustedSum += weight;
                weight = -weight; // marks untrusted until scaled
            }
            else
            {
                weight = Math.Exp(logWeight + logTrust - maxLog);
                trustedSum += weight;
            }

            _scratch[i] = weight;
        }

        var untrustedScale = 1.0;
        if (TrustApplied && untrustedSum > 0)
        {
            var share = options.NewcomerShare;
            untrustedScale = share <= 0 ? 0 : share / (1 - share) * trustedSum / untrustedSum;
        }

        // The lightest weight among the candidates that are not a last resort; the last resorts go below it.
        var lightest = double.PositiveInfinity;
        for (var i = 0; i < n; i++)
        {
            var weight = _scratch[i] < 0 ? -_scratch[i] * untrustedScale : _scratch[i];
            if (!_lastResort[i] && weight > 0 && double.IsFinite(weight))
            {
                lightest = Math.Min(lightest, weight);
            }
        }

        var lastResortScale = double.IsPositiveInfinity(lightest) ? 1 : lightest * LastResortFactor;
        var eligible = 0;
        var total = 0.0;
        var failing = 0.0;
        for (var i = 0; i < n; i++)
        {
            // A last resort stays eligible however light the others are: the floor keeps its inverse finite.
            var weight = _lastResort[i] ? Math.Max(-_scratch[i] * lastResortScale, MinimumLastResortWeight)
                : _scratch[i] < 0 ? -_scratch[i] * untrustedScale : _scratch[i];
            if (weight > 0 && double.IsFinite(weight))
            {
                eligible++;
                _inverseWeights[i] = 1 / weight;
                total += weight;
                failing += weight * (1 - Known(candidates[i].SuccessRate));
            }
            else
            {
                _inverseWeights[i] = double.PositiveInfinity;
            }
        }

        EligibleCount = eligible;
        ExpectedFailureRate = total > 0 ? failing / total : 1;
    }

    /// <summary>The relative weight of candidate <paramref name="index"/>: its chance to be chosen first is its share of the sum.</summary>
    public double WeightOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return double.IsPositiveInfinity(_inverseWeights[index]) ? 0 : 1 / _inverseWeights[index];
    }

    /// <summary>The peer of candidate <paramref name="index"/>.</summary>
    public PeerId PeerAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _peers[index];
    }

    internal ReadOnlySpan<PeerId> Peers => _peers.AsSpan(0, Count);

    internal ReadOnlySpan<ulong> PeerKeys => _peerKeys.AsSpan(0, Count);

    internal ReadOnlySpan<double> InverseWeights => _inverseWeights.AsSpan(0, Count);

    internal ReadOnlySpan<ulong> Groups => _groups.AsSpan(0, Count);

    internal ReadOnlySpan<ulong> Regions => _regions.AsSpan(0, Count);

    internal ReadOnlySpan<double> X => _x.AsSpan(0, Count);

    internal ReadOnlySpan<double> Y => _y.AsSpan(0, Count);

    internal ReadOnlySpan<long> FreeBytes => _free.AsSpan(0, Count);

    /// <summary>ln(p^β · c^γ · d); negative infinity for a candidate that cannot be chosen.</summary>
    private double LogWeightWithoutTrust(in PlacementCandidate c, PlacementOptions options)
    {
        if (c.FreeBytes <= 0)
        {
            return double.NegativeInfinity;
        }

        var success = Known(c.SuccessRate);
        var uptime = Known(c.Uptime);
        var rtt = double.IsFinite(c.RttMs) && c.RttMs >= 0 ? c.RttMs : options.RttReferenceMs;
        var performance = success * uptime * (options.RttReferenceMs / (options.RttReferenceMs + rtt));
        if (performance <= 0)
        {
            return double.NegativeInfinity;
        }

        var capacity = c.FreeBytes / (double)(c.FreeBytes + options.CapacityReferenceBytes);
        var log = (options.PerformanceExponent * Math.Log(performance)) + (options.CapacityExponent * Math.Log(capacity));
        if (c.NetworkGroup != 0)
        {
            log -= Math.Log(_groupCounts[c.NetworkGroup]);
        }

        return log;
    }

    /// <summary>A share in [0, 1]; NaN (unknown) counts as 0.5, values outside are clamped.</summary>
    private static double Known(double share) => double.IsNaN(share) ? 0.5 : Math.Clamp(share, 0, 1);

    /// <summary>A 64-bit key of the PeerId mixing all its 256 bits, for the per-object hash of each candidate.</summary>
    private static ulong PeerKey(PeerId peer)
    {
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        peer.WriteTo(bytes);
        var key = 0UL;
        for (var i = 0; i < PeerId.Size; i += 8)
        {
            key = ShardPlacer.Mix(key ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[i..]));
        }

        return key;
    }

    private void EnsureCapacity(int n)
    {
        if (_peers.Length >= n)
        {
            return;
        }

        var size = Math.Max(n, _peers.Length * 2);
        _peers = new PeerId[size];
        _peerKeys = new ulong[size];
        _inverseWeights = new double[size];
        _groups = new ulong[size];
        _regions = new ulong[size];
        _x = new double[size];
        _y = new double[size];
        _free = new long[size];
        _scratch = new double[size];
        _lastResort = new bool[size];
    }
}
