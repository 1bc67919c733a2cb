using Overlay.Crypto;
using Overlay.Placement.Capacity;
using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The node's end of the interaction seam: turns every exchange a protocol reports into local-trust evidence
/// (<see cref="LocalTrustLedger"/>), weighed by <see cref="TrustEvidence"/> so a shard kept or lost counts far
/// above a DHT answer, and a measured success rate (<see cref="PeerPerformance"/>). An exchange that succeeded
/// is satisfactory; one that timed out, broke off or was answered wrongly or with a lie is not. A typed
/// refusal (rate, quota, size) is not misbehaviour: it costs no trust and counts only against the success
/// rate, and so the peer's placement weight (docs/PLACEMENT.md, "Local trust"). Whether the peer
/// answered at all feeds its uptime; a store it acknowledged comes off its capacity claim, and a store it
/// refused voids the claim until its next record (<see cref="CapacityBook"/>).
/// </summary>
public sealed class TrustObservations : IInteractionObserver
{
    private readonly PeerId _self;
    private readonly TimeProvider _time;
    private readonly TrustMetrics _metrics;
    private readonly TrustEvidence _evidence;

    /// <summary>Observations of node <paramref name="self"/>'s peers, stamped on <paramref name="time"/>, weighed by <paramref name="evidence"/> (<see cref="TrustEvidence.Default"/> when null).</summary>
    public TrustObservations(
        PeerId self, LocalTrustLedger ledger, PeerPerformance performance, CapacityBook capacity, TimeProvider time, TrustMetrics metrics, TrustEvidence? evidence = null)
    {
        _evidence = evidence ?? TrustEvidence.Default;
        ArgumentNullException.ThrowIfNull(capacity);
        Capacity = capacity;
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(performance);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(metrics);
        _self = self;
        Ledger = ledger;
        Performance = performance;
        _time = time;
        _metrics = metrics;
    }

    /// <summary>Local trust: weighed satisfactory minus unsatisfactory exchanges, decayed.</summary>
    public LocalTrustLedger Ledger { get; }

    /// <summary>Measured success rates, refusals counted as failures, and uptime.</summary>
    public PeerPerformance Performance { get; }

    /// <summary>Peers' capacity claims, and the stores and refusals this node met since each.</summary>
    public CapacityBook Capacity { get; }

    /// <summary>
    /// Whether this node's own evidence rates <paramref name="peer"/> at zero: it dealt with the peer and counted at least as
    /// much against it (shards lost or lied about, timeouts) as for it. First-hand evidence outranks what others say: such a
    /// peer is neither a pre-trusted peer of this node's computation nor weighed by its global trust in placement.
    /// </summary>
    public bool Caught(PeerId peer, DateTimeOffset now) =>
        Ledger.TryGetCounts(peer, now, out var satisfactory, out var unsatisfactory) && unsatisfactory > 0 && satisfactory <= unsatisfactory;

    /// <inheritdoc/>
    public void Observe(in InteractionOutcome outcome)
    {
        if (outcome.Peer == _self)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var succeeded = outcome.Result == InteractionResult.Succeeded;
        if (_evidence.TryWeigh(outcome, out var satisfactory, out var weight))
        {
            Ledger.Record(outcome.Peer, satisfactory, now, weight);
        }

        Performance.Record(outcome.Peer, succeeded, now);
        Performance.RecordReach(outcome.Peer, outcome.Result is not (InteractionResult.TimedOut or InteractionResult.Unreachable), now);
        if (outcome.Protocol == ProtocolIds.Shard && outcome.Operation == Shards.ShardOutcomes.Store)
        {
            if (succeeded)
            {
                Capacity.Stored(outcome.Peer, outcome.BytesSent, now);
            }
            else if (outcome.Result == InteractionResult.Refused)
            {
                Capacity.Refused(outcome.Peer, now);
            }
        }

        _metrics.Observed(outcome.Result);
    }
}
