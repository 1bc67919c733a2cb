using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;

namespace Overlay.Node.Shards;

/// <summary>
/// The counters of <c>shard/1</c> (meter <see cref="MeterName"/>), on both sides: what this node keeps
/// and refuses for others, and how its own shards' holders answer. Each is also kept as a running
/// total, so <c>overlay shard status</c> can show them without a metrics exporter.
/// </summary>
public sealed class ShardExchangeMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Overlay.Node.Shards";

    private readonly Counter<long> _held;
    private readonly Counter<long> _heldBytes;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _served;
    private readonly Counter<long> _servedBytes;
    private readonly Counter<long> _auditsAnswered;
    private readonly Counter<long> _audits;
    private readonly Counter<long> _receiptsRejected;
    private readonly Counter<long> _aborted;
    private readonly Counter<long> _renewalsServed;
    private readonly Counter<long> _pullsServed;
    private readonly Counter<long> _pulledBytes;
    private readonly Counter<long> _pullsRefused;
    private readonly Counter<long> _suspects;
    private readonly Counter<long> _repairs;
    private readonly Counter<long> _repairBytes;
    private readonly Counter<long> _renewals;
    private readonly Counter<long> _announcements;
    private readonly Counter<long> _quotaRefusals;
    private readonly Counter<long> _probesAnswered;
    private readonly Counter<long> _probeIds;
    private readonly Counter<long> _probesRefused;
    private readonly Counter<long> _probes;
    private readonly Counter<long> _probeAnswersRejected;
    private readonly Counter<long> _probesOnClose;
    private readonly Counter<long> _probation;
    private long _probationKept;
    private long _probationReleased;
    private long _probationFailures;
    private long _probesOnCloseTotal;
    private long _probesAnsweredTotal;
    private long _probeIdsNotHeldTotal;
    private long _probesSentTotal;
    private long _probeFallbacksTotal;
    private long _probeAnswersRejectedTotal;
    private long _repairsStarted;
    private long _repairsFinished;
    private long _repairsFailed;
    private long _renewalsDone;
    private long _renewalsFailed;
    private long _suspectsTotal;
    private readonly long[] _suspectsByReason = new long[Enum.GetValues<SuspectReason>().Length];
    private long _pullsServedTotal;
    private long _renewalsServedTotal;
    private long _announcementsTotal;
    private readonly long[] _refusalTotals = new long[(int)ShardRefusal.Failed + 1];
    private long _heldTotal;
    private long _heldBytesTotal;
    private long _servedTotal;
    private long _auditsAnsweredTotal;
    private long _auditsPassed;
    private long _auditsFailed;
    private long _receiptsRejectedTotal;
    private long _abortedTotal;

    /// <summary>Creates the counters on <paramref name="meter"/>.</summary>
    public ShardExchangeMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _held = meter.CreateCounter<long>("overlay.shard.stores_accepted", description: "Stores this node accepted from peers (new holds and renewals), each answered with a receipt");
        _heldBytes = meter.CreateCounter<long>("overlay.shard.stored_bytes", "By", "Bytes of the stores this node accepted from peers");
        _refusals = meter.CreateCounter<long>("overlay.shard.refusals", description: "shard/1 operations this node refused, by reason");
        _served = meter.CreateCounter<long>("overlay.shard.fetches_served", description: "Fetches this node answered with bytes");
        _servedBytes = meter.CreateCounter<long>("overlay.shard.bytes_served", "By", "Shard bytes this node sent to fetchers");
        _auditsAnswered = meter.CreateCounter<long>("overlay.shard.audits_answered", description: "Audit challenges this node answered as a holder");
        _audits = meter.CreateCounter<long>("overlay.shard.audits", description: "Audits of this node's shards, by result (passed, failed)");
        _receiptsRejected = meter.CreateCounter<long>("overlay.shard.receipts_rejected", description: "Storage receipts this node refused as an owner, by reason");
        _aborted = meter.CreateCounter<long>("overlay.shard.streams_aborted", description: "shard/1 streams cut off mid-way (timeout, reset, connection lost)");
        _renewalsServed = meter.CreateCounter<long>("overlay.shard.renewals_served", description: "Renewals this node granted as a holder, each answered with a receipt");
        _pullsServed = meter.CreateCounter<long>("overlay.shard.pulls_served", description: "Pulls this node completed as a new holder (shards copied from another holder for an owner)");
        _pulledBytes = meter.CreateCounter<long>("overlay.shard.pulled_bytes", "By", "Bytes this node copied from other holders in pulls");
        _pullsRefused = meter.CreateCounter<long>("overlay.shard.pulls_refused", description: "Pulls this node refused for a bad source or what the source sent, by reason");
        _suspects = meter.CreateCounter<long>("overlay.shard.suspects", description: "Holders of this node's shards found no longer a live replica, by reason");
        _repairs = meter.CreateCounter<long>("overlay.shard.repairs", description: "Repairs of this node's shards, by stage (started, finished, failed)");
        _repairBytes = meter.CreateCounter<long>("overlay.shard.repair_bytes", "By", "Shard bytes new holders copied in repairs this node finished");
        _renewals = meter.CreateCounter<long>("overlay.shard.renewals", description: "Renewals of this node's receipts, by result (renewed, failed)");
        _quotaRefusals = meter.CreateCounter<long>("overlay.shard.quota_refusals", description: "Quota refusals of stores and pulls, by whose quota (identity, prefix, node)");
        _announcements = meter.CreateCounter<long>("overlay.shard.announcements", description: "Held shards this node announced as a provider (each shard of a batched announcement counts once)");
        _probesAnswered = meter.CreateCounter<long>("overlay.shard.probes_answered", description: "Batched probes this node answered as a holder (one per owner and round, from the store's index)");
        _probeIds = meter.CreateCounter<long>("overlay.shard.probe_ids", description: "Shard ids named in the probes this node answered, by answer (held, not_held)");
        _probesRefused = meter.CreateCounter<long>("overlay.shard.probes_refused", description: "Malformed probes this node refused as a holder, by what was wrong");
        _probes = meter.CreateCounter<long>("overlay.shard.probes", description: "Probes this node sent as an owner, by form (batch; single: the zero-length fetch a holder that predates the batch gets)");
        _probeAnswersRejected = meter.CreateCounter<long>("overlay.shard.probe_answers_rejected", description: "Probe answers this node could not decode as an owner, by what was wrong");
        _probesOnClose = meter.CreateCounter<long>("overlay.shard.probes_on_close", description: "Holders this node probed at once as an owner because the connection they last answered over closed");
        _probation = meter.CreateCounter<long>("overlay.shard.probation", description: "Owner's copies of this node's shards kept on probation, by event (kept, released; failed: an audit of a holder not yet vetted failed while a copy was kept)");
        meter.CreateObservableGauge("overlay.shard.in_probation", () => InProbation?.Invoke() ?? 0, description: "This node's shards whose owner's copy is kept until every holder is vetted");
    }

    internal void Held(long bytes)
    {
        _held.Add(1);
        _heldBytes.Add(bytes);
        Interlocked.Increment(ref _heldTotal);
        Interlocked.Add(ref _heldBytesTotal, bytes);
    }

    internal void Refused(ShardRefusal refusal)
    {
        _refusals.Add(1, new KeyValuePair<string, object?>("reason", ShardCodec.Tag(refusal)));
        Interlocked.Increment(ref _refusalTotals[(int)refusal]);
    }

    internal void Served(long bytes)
    {
        _served.Add(1);
        _servedBytes.Add(bytes);
        Interlocked.Increment(ref _servedTotal);
    }

    internal void AuditAnswered()
    {
        _auditsAnswered.Add(1);
        Interlocked.Increment(ref _auditsAnsweredTotal);
    }

    internal void Audited(bool passed)
    {
        _audits.Add(1, new KeyValuePair<string, object?>("result", passed ? "passed" : "failed"));
        Interlocked.Increment(ref passed ? ref _auditsPassed : ref _auditsFailed);
    }

    internal void ReceiptRejected(ReceiptRejection reason)
    {
        _receiptsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
        Interlocked.Increment(ref _receiptsRejectedTotal);
    }

    internal void Aborted()
    {
        _aborted.Add(1);
        Interlocked.Increment(ref _abortedTotal);
    }

    internal void Renewed()
    {
        _renewalsServed.Add(1);
        Interlocked.Increment(ref _renewalsServedTotal);
    }

    internal void Pulled(long bytes)
    {
        _pullsServed.Add(1);
        _pulledBytes.Add(bytes);
        Interlocked.Increment(ref _pullsServedTotal);
    }

    internal void PullRefused(PullProblem problem) => _pullsRefused.Add(1, new KeyValuePair<string, object?>("reason", problem.ToString()));

    internal void Suspected(SuspectReason reason)
    {
        _suspects.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
        Interlocked.Increment(ref _suspectsTotal);
        Interlocked.Increment(ref _suspectsByReason[(int)reason]);
    }

    /// <summary>Holders suspected so far for <paramref name="reason"/> (one per shard they keep).</summary>
    public long SuspectsFor(SuspectReason reason) => Interlocked.Read(ref _suspectsByReason[(int)reason]);

    internal void RepairStarted()
    {
        _repairs.Add(1, new KeyValuePair<string, object?>("stage", "started"));
        Interlocked.Increment(ref _repairsStarted);
    }

    internal void RepairEnded(bool finished, long bytes)
    {
        _repairs.Add(1, new KeyValuePair<string, object?>("stage", finished ? "finished" : "failed"));
        if (finished)
        {
            _repairBytes.Add(bytes);
        }

        Interlocked.Increment(ref finished ? ref _repairsFinished : ref _repairsFailed);
    }

    internal void RenewalEnded(bool renewed)
    {
        _renewals.Add(1, new KeyValuePair<string, object?>("result", renewed ? "renewed" : "failed"));
        Interlocked.Increment(ref renewed ? ref _renewalsDone : ref _renewalsFailed);
    }

    internal void QuotaRefused(QuotaScope scope) => _quotaRefusals.Add(1, new KeyValuePair<string, object?>("scope", scope.ToString()));

    internal void Announced(int shards)
    {
        _announcements.Add(shards);
        Interlocked.Add(ref _announcementsTotal, shards);
    }

    internal void ProbeAnswered(int ids, int notHeld)
    {
        _probesAnswered.Add(1);
        _probeIds.Add(ids - notHeld, new KeyValuePair<string, object?>("answer", "held"));
        _probeIds.Add(notHeld, new KeyValuePair<string, object?>("answer", "not_held"));
        Interlocked.Increment(ref _probesAnsweredTotal);
        Interlocked.Add(ref _probeIdsNotHeldTotal, notHeld);
    }

    internal void ProbeRefused(ShardWireError error) => _probesRefused.Add(1, new KeyValuePair<string, object?>("reason", error.ToString()));

    internal void ProbeSent(bool batch)
    {
        _probes.Add(1, new KeyValuePair<string, object?>("form", batch ? "batch" : "single"));
        Interlocked.Increment(ref batch ? ref _probesSentTotal : ref _probeFallbacksTotal);
    }

    internal void ProbationKept()
    {
        _probation.Add(1, new KeyValuePair<string, object?>("event", "kept"));
        Interlocked.Increment(ref _probationKept);
    }

    internal void ProbationReleased()
    {
        _probation.Add(1, new KeyValuePair<string, object?>("event", "released"));
        Interlocked.Increment(ref _probationReleased);
    }

    internal void ProbationFailed()
    {
        _probation.Add(1, new KeyValuePair<string, object?>("event", "failed"));
        Interlocked.Increment(ref _probationFailures);
    }

    /// <summary>Reads how many of this node's shards are on probation now (the owner's watch list); null reports zero.</summary>
    public Func<long>? InProbation { get; set; }

    /// <summary>Owner's copies kept on probation so far.</summary>
    public long ProbationCopiesKept => Volatile.Read(ref _probationKept);

    /// <summary>Owner's copies released so far, every holder vetted.</summary>
    public long ProbationReleases => Volatile.Read(ref _probationReleased);

    /// <summary>Audits failed so far by holders not yet vetted while the owner kept a copy.</summary>
    public long ProbationFailures => Volatile.Read(ref _probationFailures);

    internal void ProbeOnClose()
    {
        _probesOnClose.Add(1);
        Interlocked.Increment(ref _probesOnCloseTotal);
    }

    internal void ProbeAnswerRejected(ShardWireError error)
    {
        _probeAnswersRejected.Add(1, new KeyValuePair<string, object?>("reason", error.ToString()));
        Interlocked.Increment(ref _probeAnswersRejectedTotal);
    }

    /// <summary>Batched probes this node answered as a holder so far.</summary>
    public long ProbesAnswered => Volatile.Read(ref _probesAnsweredTotal);

    /// <summary>Batched probes this node sent as an owner so far (one stream each).</summary>
    public long ProbesSent => Volatile.Read(ref _probesSentTotal);

    /// <summary>Single zero-length-fetch probes this node sent so far, to holders that refused the batch as an unknown operation.</summary>
    public long ProbeFallbacks => Volatile.Read(ref _probeFallbacksTotal);

    /// <summary>Probe answers this node could not decode as an owner so far.</summary>
    public long ProbeAnswersRejected => Volatile.Read(ref _probeAnswersRejectedTotal);

    /// <summary>Holders probed at once so far because the connection they last answered over closed (counted once per close, before the probe's own count).</summary>
    public long ProbesOnClose => Volatile.Read(ref _probesOnCloseTotal);

    /// <summary>Repairs of this node's shards started so far.</summary>
    public long RepairsStarted => Volatile.Read(ref _repairsStarted);

    /// <summary>Repairs of this node's shards finished (a new holder's receipt checked) so far.</summary>
    public long RepairsFinished => Volatile.Read(ref _repairsFinished);

    /// <summary>Repairs of this node's shards that ended without a new holder so far.</summary>
    public long RepairsFailed => Volatile.Read(ref _repairsFailed);

    /// <summary>Repairs of this node's shards started and not yet ended (at most <see cref="Overlay.Node.Configuration.ShardExchangeOptions.MaxConcurrentRepairs"/>).</summary>
    public long RepairsInFlight => Math.Max(0, RepairsStarted - RepairsFinished - RepairsFailed);

    /// <summary>Receipts of this node's shards renewed so far.</summary>
    public long Renewals => Volatile.Read(ref _renewalsDone);

    /// <summary>Provider announcements made so far.</summary>
    public long Announcements => Volatile.Read(ref _announcementsTotal);

    /// <summary>Refusals of one reason so far.</summary>
    public long RefusalCount(ShardRefusal refusal) => Volatile.Read(ref _refusalTotals[(int)refusal]);

    /// <summary>Stores accepted from peers so far.</summary>
    public long HeldCount => Volatile.Read(ref _heldTotal);

    /// <summary>Audits of this node's shards that passed so far.</summary>
    public long AuditsPassed => Volatile.Read(ref _auditsPassed);

    /// <summary>Audits of this node's shards that failed so far.</summary>
    public long AuditsFailed => Volatile.Read(ref _auditsFailed);

    /// <summary>Streams cut off so far.</summary>
    public long AbortedCount => Volatile.Read(ref _abortedTotal);

    /// <summary>The running totals as JSON (for <c>overlay shard status</c>).</summary>
    public JsonObject ToJson()
    {
        var refusals = new JsonObject();
        for (var i = 1; i < _refusalTotals.Length; i++)
        {
            refusals[ShardCodec.Tag((ShardRefusal)i)] = Volatile.Read(ref _refusalTotals[i]);
        }

        return new JsonObject
        {
            ["storesAccepted"] = HeldCount,
            ["storedBytes"] = Volatile.Read(ref _heldBytesTotal),
            ["refusals"] = refusals,
            ["fetchesServed"] = Volatile.Read(ref _servedTotal),
            ["probesAnswered"] = ProbesAnswered,
            ["probeIdsNotHeld"] = Volatile.Read(ref _probeIdsNotHeldTotal),
            ["probesSent"] = ProbesSent,
            ["probeFallbacks"] = ProbeFallbacks,
            ["probeAnswersRejected"] = ProbeAnswersRejected,
            ["probesOnClose"] = ProbesOnClose,
            ["auditsAnswered"] = Volatile.Read(ref _auditsAnsweredTotal),
            ["auditsPassed"] = AuditsPassed,
            ["auditsFailed"] = AuditsFailed,
            ["receiptsRejected"] = Volatile.Read(ref _receiptsRejectedTotal),
            ["streamsAborted"] = AbortedCount,
            ["renewalsServed"] = Volatile.Read(ref _renewalsServedTotal),
            ["pullsServed"] = Volatile.Read(ref _pullsServedTotal),
            ["suspects"] = Volatile.Read(ref _suspectsTotal),
            ["repairsStarted"] = RepairsStarted,
            ["repairsFinished"] = RepairsFinished,
            ["repairsFailed"] = RepairsFailed,
            ["repairsInFlight"] = RepairsInFlight,
            ["renewals"] = Renewals,
            ["renewalsFailed"] = Volatile.Read(ref _renewalsFailed),
            ["announcements"] = Announcements,
            ["shardsInProbation"] = InProbation?.Invoke() ?? 0,
            ["probationReleased"] = ProbationReleases,
            ["probationFailures"] = ProbationFailures,
        };
    }
}
