using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// Global trust as computed at one moment: t_i per known peer, summing to 1. Immutable, so placement can
/// read one snapshot while the next is computed. A peer the snapshot does not know has trust 0.
/// </summary>
public sealed class TrustSnapshot
{
    private readonly PeerId[] _peers;
    private readonly Dictionary<PeerId, int> _index;
    private readonly double[] _trust;

    internal TrustSnapshot(
        PeerId[] peers, Dictionary<PeerId, int> index, double[] trust, double referenceTrust, EigenTrustRun run, DateTimeOffset computedAt, bool restsOnEvidence = true)
    {
        RestsOnEvidence = restsOnEvidence;
        _peers = peers;
        _index = index;
        _trust = trust;
        ReferenceTrust = referenceTrust;
        Run = run;
        ComputedAt = computedAt;
    }

    /// <summary>The snapshot that knows no peer: placement then weighs every candidate without trust.</summary>
    public static TrustSnapshot Empty { get; } = new([], new Dictionary<PeerId, int>(), [], 0, new EigenTrustRun(0, 0, true), DateTimeOffset.UnixEpoch, restsOnEvidence: false);

    /// <summary>Number of peers with a value (zero included).</summary>
    public int Count => _peers.Length;

    /// <summary>The peers, in ascending PeerId order.</summary>
    public ReadOnlySpan<PeerId> Peers => _peers;

    /// <summary>Global trust of each peer of <see cref="Peers"/>, in the same order.</summary>
    public ReadOnlySpan<double> Values => _trust;

    /// <summary>How the computation ended.</summary>
    public EigenTrustRun Run { get; }

    /// <summary>
    /// Mean trust of the peers that are not pre-trusted: what a peer of the crowd holds. The pre-trusted peers
    /// hold at least a of all trust between them, so the plain mean says little about everyone else. Placement
    /// measures trust in units of it.
    /// </summary>
    public double ReferenceTrust { get; }

    /// <summary>
    /// Whether any row went into the computation: false when no peer, this node included, had observed anyone, so the
    /// values are EigenTrust's p itself, the configured assumption and no evidence. Placement then weighs every candidate
    /// without trust: a node that has just started would otherwise put a replica of nearly every shard on its one bootstrap
    /// peer, which is then the one peer able to lose them all (docs/PLACEMENT.md, "Pre-trust").
    /// </summary>
    public bool RestsOnEvidence { get; }

    /// <summary>When it was computed.</summary>
    public DateTimeOffset ComputedAt { get; }

    /// <summary>A snapshot holding the given values as they are, for tests that start from a known trust vector.</summary>
    internal static TrustSnapshot FromValues(IEnumerable<KeyValuePair<PeerId, double>> values, DateTimeOffset computedAt)
    {
        var pairs = new List<KeyValuePair<PeerId, double>>(values);
        pairs.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        var peers = new PeerId[pairs.Count];
        var trust = new double[pairs.Count];
        var index = new Dictionary<PeerId, int>(pairs.Count);
        for (var i = 0; i < pairs.Count; i++)
        {
            peers[i] = pairs[i].Key;
            trust[i] = pairs[i].Value;
            index[peers[i]] = i;
        }

        return new TrustSnapshot(peers, index, trust, pairs.Count > 0 ? trust.Sum() / pairs.Count : 0, new EigenTrustRun(0, 0, true), computedAt);
    }

    /// <summary>Global trust of <paramref name="peer"/> in [0, 1]; 0 for a peer the snapshot does not know.</summary>
    public double TrustOf(PeerId peer) => _index.TryGetValue(peer, out var i) ? _trust[i] : 0;
}
