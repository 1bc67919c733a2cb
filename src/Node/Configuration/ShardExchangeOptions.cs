using System.Globalization;

namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>ShardExchange</c> section: how the node keeps shards for peers over <c>shard/1</c> and
/// places its own (docs/PROTOCOL.md, "Shard protocol"). Defaults equal node.config.json.
/// </summary>
public sealed class ShardExchangeOptions
{
    public const string SectionName = "ShardExchange";

    /// <summary>Whether the node keeps shards for peers; false refuses every store (Unwilling). Fetches and audits of shards already held are still answered. Default: true.</summary>
    public bool AcceptStores { get; set; } = true;

    /// <summary>Most bytes charged to one peer identity for the shards kept for it (payload plus 512 per shard, as the store charges). Default: 1 GiB; range 0 and up.</summary>
    public long MaxBytesPerPeer { get; set; } = 1L << 30;

    /// <summary>Most shards kept for one peer identity. Default: 100,000; range 0–100,000,000.</summary>
    public long MaxShardsPerPeer { get; set; } = 100_000;

    /// <summary>Most bytes charged to all identities storing from one network prefix (IPv4 /24, IPv6 /48). Default: 4 GiB; range 0 and up.</summary>
    public long MaxBytesPerPrefix { get; set; } = 4L << 30;

    /// <summary>Most shards kept for all identities storing from one network prefix. Default: 400,000; range 0–100,000,000.</summary>
    public long MaxShardsPerPrefix { get; set; } = 400_000;

    /// <summary>Most distinct identities that may have shards kept here from one network prefix. Default: 1,024; range 1–1,000,000.</summary>
    public int MaxIdentitiesPerPrefix { get; set; } = 1024;

    /// <summary>Stores accepted from one peer per minute, sustained (a token bucket); more are refused with Rate. Default: 600; range 1–1,000,000.</summary>
    public int StoresPerMinutePerPeer { get; set; } = 600;

    /// <summary>Stores from one peer accepted at once above the sustained rate. Default: 600; range 1–1,000,000.</summary>
    public int StoreBurstPerPeer { get; set; } = 600;

    /// <summary>Longest a holder promises to keep a shard; a store asking for longer is granted this (the receipt says so). Default: 30 days; range 1 minute–3650 days.</summary>
    public TimeSpan MaxHoldDuration { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long this node asks holders to keep the shards it places. Default: 7 days; range 1 minute–3650 days.</summary>
    public TimeSpan HoldDuration { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Holders a put places each shard on. Default: 3; range 1–64.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>
    /// Audit challenges the owner prepares per holder each time it reads a shard back to prepare more (the
    /// holder's store-time ones spent, or a holder added by a repair); each is spent once. Default: 16; range 1–4096.
    /// </summary>
    public int AuditChallengesPerHolder { get; set; } = 16;

    /// <summary>
    /// Audit challenges the owner prepares per holder when it places a shard, while it has the bytes; once they
    /// are spent it reads the shard back from its holders and prepares <see cref="AuditChallengesPerHolder"/> more
    /// (docs/PROTOCOL.md, "Audits"). Each costs a hash of the whole shard on the storing node, so the default prepares
    /// one, for one shard read-back more in the shard's life (docs/BENCHMARKS.md, "Where a GiB store's CPU goes now").
    /// Default: 1; range 1–<see cref="AuditChallengesPerHolder"/>.
    /// </summary>
    public int AuditChallengesAtStore { get; set; } = 1;

    /// <summary>Longest one <c>shard/1</c> stream may take end to end, on either side; a peer that stalls is cut off. Default: 30 s; range 1 s–10 min.</summary>
    public TimeSpan StreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the owner's maintenance repairs: when a holder is found no longer a live replica, a surviving holder's copy is pulled to a new holder. False still probes, audits, renews and counts suspects, and repairs nothing. Default: true.</summary>
    public bool RepairEnabled { get; set; } = true;

    /// <summary>
    /// How often the owner's probe round runs. It asks each holder with no open connection to the owner (one batched probe
    /// naming all its shards), and those whose last answer is <see cref="PresenceInterval"/> old; a holder whose connection
    /// closes is asked at once. Bounds the time to notice that a holder the owner has no connection to is gone, or came back. Default: 2 s; range 100 ms–1 h.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a holder that answered over a connection still open is asked again whether it keeps its shards: between
    /// those probes the connection vouches for it (the transport closes a connection after three silent keep-alive intervals,
    /// and a closed connection gets the holder probed at once). Bounds the time to notice a holder that silently dropped some
    /// shards but still answers (audits bound it too), and, with the keep-alives, one that hangs with its connection open.
    /// Checked in probe rounds, so one shorter than <see cref="ProbeInterval"/> means every round. Default: 30 s; range 100 ms–1 h.
    /// </summary>
    public TimeSpan PresenceInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest a probe waits for its answer before the holder counts as not answering. Default: 5 s; range 100 ms–10 min.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often every holder of every owned shard is audited, and receipts due are renewed. Default: 1 h; range 1 s–30 days.</summary>
    public TimeSpan AuditInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Probation (docs/PROTOCOL.md, "Probation"): the owner keeps its own copy of each shard it places, in its store, until every
    /// holder has passed an audit taken at least this long after its receipt; a holder that fails or misses one is suspected and
    /// repaired from that copy. Zero keeps no copy. Default: 1 h, one audit round at the default <see cref="AuditInterval"/>: the owner
    /// then keeps each shard it placed for three to five hours (docs/PROTOCOL.md, "Probation"); range 0–30 days.
    /// </summary>
    public TimeSpan ProbationPeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long before a receipt's expiry the owner renews it. Default: 2 days; range 1 minute–3650 days, less than HoldDuration.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Most repairs an owner runs at once. Default: 4; range 1–256.</summary>
    public int MaxConcurrentRepairs { get; set; } = 4;

    /// <summary>Repair pace: repairs are started no faster than this many shard bytes per second, averaged (a new holder copies each repaired shard's bytes once). Default: 8 MiB/s; range 1,024–10,737,418,240.</summary>
    public long RepairBytesPerSecond { get; set; } = 8L << 20;

    /// <summary>Provider announcements a holder starts per second, at most (new shards first, then re-announcements); each names every newly kept shard waiting, or up to 4,096 shards of a pass, in signed batches. Default: 10; range 0.01–10,000.</summary>
    public double AnnouncementsPerSecond { get; set; } = 10;

    /// <summary>
    /// How long a newly kept shard waits before it is announced, so the shards a holder keeps in a burst (a file's
    /// stripes, a round of repairs) go out in one announcement, signed as batches, instead of one by one. Default: 2 s;
    /// range 0–10 minutes (0: each announcement takes what is waiting when it starts).
    /// </summary>
    public TimeSpan AnnouncementGather { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a holder announces each shard it keeps again; must be shorter than the DHT's RecordTtl. Default: 12 h; range 1 minute–30 days.</summary>
    public TimeSpan ReannounceInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// How holders are chosen for this node's shards: <see cref="ClosestPlacement"/> (the routing table's
    /// contacts closest to the shard id) or <see cref="TrustPlacement"/> (trust-weighted sampling under
    /// diversity caps, docs/PLACEMENT.md). Default: "closest".
    /// </summary>
    public string Placement { get; set; } = ClosestPlacement;

    /// <summary>The <see cref="Placement"/> value choosing holders by XOR distance from the routing table.</summary>
    public const string ClosestPlacement = "closest";

    /// <summary>The <see cref="Placement"/> value choosing holders by trust-weighted sampling.</summary>
    public const string TrustPlacement = "trust";

    /// <summary>True when <see cref="Placement"/> asks for trust-weighted placement.</summary>
    public bool UsesTrustPlacement() => string.Equals(Placement, TrustPlacement, StringComparison.OrdinalIgnoreCase);

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxBytesPerPeer < 0)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxBytesPerPeer), MaxBytesPerPeer, "it must be 0 or more");
        }

        if (MaxBytesPerPrefix < 0)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxBytesPerPrefix), MaxBytesPerPrefix, "it must be 0 or more");
        }

        if (MaxShardsPerPrefix is < 0 or > 100_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxShardsPerPrefix), MaxShardsPerPrefix, "it must be between 0 and 100000000");
        }

        if (MaxIdentitiesPerPrefix is < 1 or > 1_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxIdentitiesPerPrefix), MaxIdentitiesPerPrefix, "it must be between 1 and 1000000");
        }

        if (MaxShardsPerPeer is < 0 or > 100_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxShardsPerPeer), MaxShardsPerPeer, "it must be between 0 and 100000000");
        }

        if (StoresPerMinutePerPeer is < 1 or > 1_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(StoresPerMinutePerPeer), StoresPerMinutePerPeer, "it must be between 1 and 1000000");
        }

        if (StoreBurstPerPeer is < 1 or > 1_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(StoreBurstPerPeer), StoreBurstPerPeer, "it must be between 1 and 1000000");
        }

        foreach (var (key, value) in new[] { (nameof(MaxHoldDuration), MaxHoldDuration), (nameof(HoldDuration), HoldDuration) })
        {
            if (value < TimeSpan.FromMinutes(1) || value > TimeSpan.FromDays(3650))
            {
                yield return OptionProblem.Describe(SectionName, key, value, "it must be between 00:01:00 and 3650.00:00:00");
            }
        }

        if (Replicas is < 1 or > 64)
        {
            yield return OptionProblem.Describe(SectionName, nameof(Replicas), Replicas, "it must be between 1 and 64");
        }

        if (AuditChallengesPerHolder is < 1 or > 4096)
        {
            yield return OptionProblem.Describe(SectionName, nameof(AuditChallengesPerHolder), AuditChallengesPerHolder, "it must be between 1 and 4096");
        }

        if (AuditChallengesAtStore < 1 || AuditChallengesAtStore > Math.Max(1, AuditChallengesPerHolder))
        {
            yield return OptionProblem.Describe(SectionName, nameof(AuditChallengesAtStore), AuditChallengesAtStore, "it must be between 1 and AuditChallengesPerHolder");
        }

        if (!string.Equals(Placement, ClosestPlacement, StringComparison.OrdinalIgnoreCase) && !UsesTrustPlacement())
        {
            yield return OptionProblem.Describe(SectionName, nameof(Placement), Placement, $"it must be \"{ClosestPlacement}\" or \"{TrustPlacement}\"");
        }

        foreach (var (key, value, min, max) in new[]
        {
            (nameof(StreamTimeout), StreamTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
            (nameof(ProbeInterval), ProbeInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            (nameof(PresenceInterval), PresenceInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            (nameof(ProbeTimeout), ProbeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            (nameof(AuditInterval), AuditInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)),
            (nameof(ProbationPeriod), ProbationPeriod, TimeSpan.Zero, TimeSpan.FromDays(30)),
            (nameof(RenewBefore), RenewBefore, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650)),
            (nameof(ReannounceInterval), ReannounceInterval, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30)),
        })
        {
            if (value < min || value > max)
            {
                yield return OptionProblem.Describe(SectionName, key, value.ToString("c", CultureInfo.InvariantCulture),
                    $"it must be between {min.ToString("c", CultureInfo.InvariantCulture)} and {max.ToString("c", CultureInfo.InvariantCulture)}");
            }
        }

        if (RenewBefore >= HoldDuration)
        {
            yield return OptionProblem.Describe(SectionName, nameof(RenewBefore), RenewBefore.ToString("c", CultureInfo.InvariantCulture), "it must be shorter than HoldDuration, or every receipt is renewed as soon as it is issued");
        }

        if (MaxConcurrentRepairs is < 1 or > 256)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxConcurrentRepairs), MaxConcurrentRepairs, "it must be between 1 and 256");
        }

        if (RepairBytesPerSecond is < 1024 or > 10L << 30)
        {
            yield return OptionProblem.Describe(SectionName, nameof(RepairBytesPerSecond), RepairBytesPerSecond, "it must be between 1024 and 10737418240");
        }

        if (!(AnnouncementsPerSecond is >= 0.01 and <= 10_000))
        {
            yield return OptionProblem.Describe(SectionName, nameof(AnnouncementsPerSecond), AnnouncementsPerSecond, "it must be between 0.01 and 10000");
        }

        if (AnnouncementGather < TimeSpan.Zero || AnnouncementGather > TimeSpan.FromMinutes(10))
        {
            yield return OptionProblem.Describe(SectionName, nameof(AnnouncementGather), AnnouncementGather, "it must be between 00:00:00 and 00:10:00");
        }
    }
}
