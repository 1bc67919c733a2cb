using Overlay.Crypto;
using Overlay.Placement;
using Overlay.Placement.Trust;

namespace Overlay.Node.Trust;

/// <summary>
/// What this node measured of each peer's exchanges: how many succeeded and how many did not, refusals
/// included (a peer that announces room and then refuses stores loses placement weight, not trust), and how
/// often the peer was there to answer at all (its uptime as this node saw it: any answer, a refusal or a wrong
/// one included, against timeouts and unreachable attempts). Kept in ledgers of their own with the local-trust
/// half-life and peer limit, so the rates follow recent behaviour and stay bounded. Never the peer's own word.
/// Thread-safe.
/// </summary>
public sealed class PeerPerformance
{
    private readonly LocalTrustLedger _counts;
    private readonly LocalTrustLedger _reached;
    private readonly TimeProvider _time;

    /// <summary>Success rates of node <paramref name="self"/>'s peers under <paramref name="options"/>' half-life and peer limit.</summary>
    public PeerPerformance(PeerId self, PlacementOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _counts = new LocalTrustLedger(self, options);
        _reached = new LocalTrustLedger(self, options);
        _time = time;
    }

    /// <summary>Peers with an entry.</summary>
    public int Count => _counts.Count;

    /// <summary>Counts one exchange with <paramref name="peer"/> at <paramref name="at"/>.</summary>
    public void Record(PeerId peer, bool succeeded, DateTimeOffset at) => _counts.Record(peer, succeeded, at);

    /// <summary>Counts one attempt to reach <paramref name="peer"/> at <paramref name="at"/>: whether any answer came.</summary>
    public void RecordReach(PeerId peer, bool answered, DateTimeOffset at) => _reached.Record(peer, answered, at);

    /// <summary>
    /// The share of this node's attempts to reach <paramref name="peer"/> that found it there, Laplace-smoothed like
    /// <see cref="SuccessRate"/>; NaN for a peer never tried (placement then counts it as 0.5).
    /// </summary>
    public double Uptime(PeerId peer) =>
        _reached.TryGetCounts(peer, _time.GetUtcNow(), out var answered, out var missed) ? (answered + 1) / (answered + missed + 2) : double.NaN;

    /// <summary>
    /// The share of exchanges with <paramref name="peer"/> that succeeded, Laplace-smoothed ((s + 1) / (s + f + 2)),
    /// so one exchange moves it only part of the way; NaN for a peer never dealt with (placement then counts it as 0.5).
    /// </summary>
    public double SuccessRate(PeerId peer) =>
        _counts.TryGetCounts(peer, _time.GetUtcNow(), out var succeeded, out var failed) ? (succeeded + 1) / (succeeded + failed + 2) : double.NaN;
}
