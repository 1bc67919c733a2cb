using System.Globalization;
using Overlay.Crypto;

namespace Overlay.Placement;

/// <summary>
/// Settings of local trust, EigenTrust and shard placement, bound from the <c>Placement</c> section.
/// docs/PLACEMENT.md gives the model and the measurements behind each default.
/// </summary>
public sealed class PlacementOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Placement";

    /// <summary>
    /// EigenTrust's a: the share of global trust that flows back to the pre-trusted peers each iteration,
    /// in t ← (1−a)·Cᵀt + a·p. A collective that honest peers leak a share x of their trust to ends up
    /// with (1−a)x / (a + (1−a)x) of all trust, so larger values resist collectives more; they also put more
    /// trust on the pre-trusted peers (placement caps what that buys them, <see cref="TrustCap"/>).
    /// Range 0.01..0.99; default 0.5 (docs/PLACEMENT.md, "Choosing the defaults").
    /// </summary>
    public double PreTrustWeight { get; set; } = 0.5;

    /// <summary>
    /// PeerIds (52-character base32) whose trust is assumed: EigenTrust's p is uniform over them and the node itself,
    /// none of them above <see cref="PreTrustedPeerShareCap"/>. Empty:
    /// the PeerIds pinned in <c>Transport:BootstrapPeers</c> (<see cref="ResolvePreTrustedPeers"/>). Without
    /// any, p is uniform over every known peer, which a collective can exploit (docs/PLACEMENT.md). At most
    /// 1000 entries.
    /// </summary>
    public List<string> PreTrustedPeers { get; set; } = [];

    /// <summary>
    /// c: the largest share of EigenTrust's p that one pre-trusted peer other than the node itself gets. p is uniform over
    /// the node and its pre-trusted peers (<see cref="PreTrustedPeers"/>, by default the bootstrap peers), each peer's share
    /// capped at c, the node taking what the caps leave: with one bootstrap peer the node's own row of first-hand
    /// observations gets 1 − c, with 1/c − 1 or more pre-trusted peers p is EigenTrust's uniform one. A malicious
    /// pre-trusted peer hands its collective about its share of all trust, so one such peer hands at most c of it. A node
    /// with no observations yet has an empty row, which passes its share on as p: it sees the network as its pre-trusted
    /// peers do. Range 0.01..0.5; default 0.1 (docs/PLACEMENT.md, "Pre-trust").
    /// </summary>
    public double PreTrustedPeerShareCap { get; set; } = 0.1;

    /// <summary>
    /// Whether a pre-trusted peer that this node's own evidence rates at zero (it lost or lied about more than it served)
    /// leaves p until its evidence turns positive again: first-hand evidence outranks configuration, so a bootstrap
    /// peer caught dropping shards stops directing trust. Default true.
    /// </summary>
    public bool RevokePreTrustOnOwnEvidence { get; set; } = true;

    /// <summary>EigenTrust stops when the L1 distance between two iterations falls below this. Range 1e-9..0.1; default 0.001.</summary>
    public double ConvergenceTolerance { get; set; } = 1e-3;

    /// <summary>EigenTrust stops after this many iterations even if not converged. Range 1..1000; default 20.</summary>
    public int MaxIterations { get; set; } = 20;

    /// <summary>
    /// Half-life of observations in local trust: an observation this old counts half as much as a new one.
    /// A peer that turns bad after long good service loses all its local trust within one half-life when it
    /// is dealt with as often as before. Range 00:01:00..365.00:00:00; default 1 day.
    /// </summary>
    public TimeSpan LocalTrustHalfLife { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Local-trust weight of a DHT or <c>trust/1</c> request answered, timed out or broken off, in stored shards
    /// (a store acknowledged, a repair copy taken or a fetch served counts 1): such an answer costs a peer next to
    /// nothing and says nothing of the data it keeps, so a peer cannot buy with DHT answers the trust it loses by
    /// dropping shards. A wrong answer counts 1 whatever the protocol. Range 0..1; default 1/64 (0.015625).
    /// </summary>
    public double RequestEvidenceWeight { get; set; } = 1.0 / 64;

    /// <summary>
    /// Local-trust weight of a shard lost or lied about (an audit, probe or renewal answered "missing" or wrong,
    /// a bad receipt, bad bytes served), unsatisfactory, in stored shards: a holder has local trust only while it
    /// keeps more than <c>(w − 1) / w</c> of the shards it took, three in four at the default. Range 1..64; default 4.
    /// </summary>
    public double LostShardEvidenceWeight { get; set; } = 4;

    /// <summary>
    /// Local-trust weight of an audit, probe or renewal that passed, in stored shards: a check that passes shows
    /// the holder doing what its receipt promised and earns nothing more by default, or a holder keeping some of
    /// its shards would earn with every check of those (a probe every 2 s) whatever it lost. Range 0..1; default 0.
    /// </summary>
    public double CheckPassedEvidenceWeight { get; set; }

    /// <summary>Peers whose observations a node keeps; beyond it the one dealt with least recently is forgotten. Range 16..16777216; default 65536.</summary>
    public int MaxTrackedPeers { get; set; } = 65536;

    /// <summary>
    /// Most entries in a published local-trust record, and the most accepted from a peer: a node publishes
    /// its highest local trust values, renormalised. Bounds a record to
    /// 45 + 36 × entries + 3374 bytes (12,635 at the default). Range 1..4096; default 256.
    /// </summary>
    public int MaxRecordEntries { get; set; } = 256;

    /// <summary>A local-trust record issued longer ago than this is refused, and dropped when held. Range 00:10:00..30.00:00:00; default 2 days.</summary>
    public TimeSpan MaxRecordAge { get; set; } = TimeSpan.FromDays(2);

    /// <summary>A record issued further than this in the future is refused. Range 00:00:00..01:00:00; default 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often a node recomputes global trust from its observations and the records it holds. Local trust
    /// moves with a one-day half-life, so minutes are fresh enough; one computation at 10,000 peers costs a few
    /// milliseconds of CPU. Range 00:00:10..1.00:00:00; default 5 minutes.
    /// </summary>
    public TimeSpan TrustRecomputeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often a node signs its local-trust row anew as a record for <c>trust/1</c>. Local trust moves with
    /// a one-day half-life, so an hourly row is fresh enough, and every new record costs each collector one
    /// download. Range 00:01:00..1.00:00:00, and below <see cref="MaxRecordAge"/>; default 1 hour.
    /// </summary>
    public TimeSpan TrustPublishInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Whether the node takes part in <c>trust/1</c> at all. False: it signs no record of its own, serves none
    /// (a peer asking is refused as for any protocol the node does not speak), pulls none and so verifies none,
    /// and computes global trust from its own observations alone; capacity records, which travel on
    /// <c>trust/1</c>, are neither published nor fetched, so every candidate weighs as announcing
    /// <see cref="CapacityReferenceBytes"/>. For simulations of many whole nodes, where every node verifying every
    /// record costs N² signature checks an hour. Default true.
    /// </summary>
    public bool TrustExchangeEnabled { get; set; } = true;

    /// <summary>
    /// How often a node pulls the records it lacks from <see cref="TrustExchangePeers"/> peers over <c>trust/1</c>.
    /// Range 00:00:10..1.00:00:00; default 10 minutes.
    /// </summary>
    public TimeSpan TrustExchangeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Peers, drawn at random from the routing table, a node pulls records from each <see cref="TrustExchangeInterval"/>;
    /// more than one, so a peer withholding records does not keep them from the node. 0 serves records without
    /// pulling any. Range 0..16; default 2.
    /// </summary>
    public int TrustExchangePeers { get; set; } = 2;

    /// <summary>
    /// Most records of other nodes a node holds; when full, a record of an issuer with more global trust replaces
    /// that of the held issuer with the least, and a less trusted issuer's record is not fetched. Up to about 15.6 KB
    /// each held with the issuer's key (at 256 entries), so the default holds at most about 500 KB, verifies at most 32
    /// signatures an hour and computes over at most 33 rows, however large the network: without this bound every node
    /// collects every other node's row (15 GB held across a network of 1,000 nodes). The rows kept are those of the most
    /// trusted issuers, whose rows weigh most in the result; 32 rather than 128 changed neither where shards went nor
    /// the trust in peers that drop them in the simulated attacks (docs/PLACEMENT.md, "How many rows a node holds").
    /// Range 0..1048576; default 32.
    /// </summary>
    public int MaxTrustRecords { get; set; } = 32;

    /// <summary>
    /// Bytes of <c>trust/1</c> answers a node serves one peer per hour (a token bucket of this depth, refilled
    /// evenly; each request costs at least 1 KiB). A node's pulls from one peer in an hour carry at most a few
    /// thousand records of 5–15 KB. Range 1048576..4294967296; default 33554432 (32 MiB).
    /// </summary>
    public long TrustServeBytesPerPeerPerHour { get; set; } = 32L << 20;

    /// <summary>α, the exponent of global trust in a candidate's weight τ^α·p^β·c^γ·d. Range 0..8; default 2.</summary>
    public double TrustExponent { get; set; } = 2;

    /// <summary>
    /// κ: the most τ counts, in units of <see cref="Trust.TrustSnapshot.ReferenceTrust"/> (the trust of a peer
    /// of the crowd). No peer's trust factor exceeds κ^α times a crowd peer's, however much trust it holds.
    /// Range 1..1000; default 2.
    /// </summary>
    public double TrustCap { get; set; } = 2;

    /// <summary>
    /// L: a candidate already holding at least L times its fair share of this owner's replicas (the owner's replicas
    /// over the eligible candidates, at least one) weighs as a peer without trust, sharing <see cref="NewcomerShare"/>
    /// with the newcomers: trust draws shards towards a peer only up to the cap, so no holder ends with most of an
    /// owner's shards. Range 1..1000 (1000: no cap in practice); default 3 (docs/PLACEMENT.md, "Load").
    /// </summary>
    public double HolderShareCap { get; set; } = 3;

    /// <summary>β, the exponent of measured performance (success rate × uptime × RTT score). Range 0..8; default 1.</summary>
    public double PerformanceExponent { get; set; } = 1;

    /// <summary>γ, the exponent of announced free capacity. Range 0..8; default 0.5.</summary>
    public double CapacityExponent { get; set; } = 0.5;

    /// <summary>
    /// Chance that a placement slot goes to a peer without global trust yet, while trusted peers exist: the
    /// untrusted candidates share this fraction of the total weight, so newcomers can earn trust. 0 never
    /// places on them. Range 0..0.5; default 0.05.
    /// </summary>
    public double NewcomerShare { get; set; } = 0.05;

    /// <summary>Round-trip time in ms at which a candidate's RTT score is one half (score = ref / (ref + rtt)). Range 1..10000; default 100.</summary>
    public double RttReferenceMs { get; set; } = 100;

    /// <summary>Announced free bytes at which a candidate's capacity score is one half (score = free / (free + ref)). Range 1 MiB..1 PiB; default 1 GiB.</summary>
    public long CapacityReferenceBytes { get; set; } = 1L << 30;

    /// <summary>
    /// How often a node signs its capacity record anew (when asked for it), and how old a peer's record may grow
    /// before the node asks the peer again; a record older than twice this is stale, refused when it arrives and
    /// no longer weighed (the peer then counts as announcing <see cref="CapacityReferenceBytes"/>). Free space moves
    /// with every stored shard, and a node corrects a stale claim by its own observations (stores made, refusals
    /// met), so half an hour is fresh enough. Range 00:01:00..1.00:00:00; default 30 minutes.
    /// </summary>
    public TimeSpan CapacityRecordInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Contacts asked for their capacity record in each <c>trust/1</c> round (every <see cref="TrustExchangeInterval"/>),
    /// those without a fresh record only, in random order: about 3.4 KB and one signature check each. 0 asks
    /// none. Range 0..256; default 16 (96 contacts an hour at the default interval).
    /// </summary>
    public int CapacityPullsPerRound { get; set; } = 16;

    /// <summary>
    /// Peers without a region whose coordinates lie within this planar distance (ms) of each other count as
    /// one cluster for the ⌈r/2⌉ cap. Range 0..1000; default 25 (about one metropolitan area).
    /// </summary>
    public double ClusterRadiusMs { get; set; } = 25;

    /// <summary>Replicas of an object with no demand on reliable peers. Range 1..MaxReplicas; default 3.</summary>
    public int BaseReplicas { get; set; } = 3;

    /// <summary>Most replicas of an object, whatever its demand and the failure rate. Range BaseReplicas..64; default 20.</summary>
    public int MaxReplicas { get; set; } = 20;

    /// <summary>
    /// Accepted chance that every replica of an object fails within one repair interval; the replication
    /// rule raises r until the candidates' failure rate meets it. Range 1e-15..0.1; default 1e-6.
    /// </summary>
    public double TargetLossProbability { get; set; } = 1e-6;

    /// <summary>Reads per hour one replica is expected to serve; demand beyond r × this raises r. Range 1..10000000; default 3600.</summary>
    public double ReadsPerReplicaPerHour { get; set; } = 3600;

    /// <summary>The pre-trusted peers parsed; throws when one is not a PeerId (call <see cref="Validate"/> first).</summary>
    public IReadOnlyList<PeerId> ParsePreTrustedPeers()
    {
        var peers = new List<PeerId>(PreTrustedPeers.Count);
        foreach (var text in PreTrustedPeers)
        {
            peers.Add(PeerId.Parse(text));
        }

        return peers;
    }

    /// <summary>
    /// EigenTrust's pre-trusted peers: <see cref="PreTrustedPeers"/> when any are set, otherwise the PeerIds the
    /// bootstrap addresses pin (<paramref name="bootstrapPeers"/>, the caller reads them from
    /// <c>Transport:BootstrapPeers</c>), without duplicates. Throws like <see cref="ParsePreTrustedPeers"/>.
    /// </summary>
    public IReadOnlyList<PeerId> ResolvePreTrustedPeers(IEnumerable<PeerId> bootstrapPeers)
    {
        ArgumentNullException.ThrowIfNull(bootstrapPeers);
        var configured = ParsePreTrustedPeers();
        return (configured.Count > 0 ? configured : bootstrapPeers).Distinct().ToList();
    }

    /// <summary>Checks every setting; returns one sentence per problem naming the key, the value and what is allowed, empty when all are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        Check(problems, nameof(PreTrustWeight), PreTrustWeight, 0.01, 0.99);
        if (PreTrustedPeers is null)
        {
            problems.Add(Describe(nameof(PreTrustedPeers), null, "it must be a list of PeerIds"));
        }
        else
        {
            if (PreTrustedPeers.Count > 1000)
            {
                problems.Add(Describe(nameof(PreTrustedPeers), PreTrustedPeers.Count.ToString(CultureInfo.InvariantCulture) + " entries", "it may hold at most 1000"));
            }

            foreach (var text in PreTrustedPeers)
            {
                if (!PeerId.TryParse(text ?? string.Empty, out _, out var error))
                {
                    problems.Add(Describe(nameof(PreTrustedPeers), text, "each entry must be a PeerId (" + error.TrimEnd('.') + ")"));
                }
            }
        }

        Check(problems, nameof(PreTrustedPeerShareCap), PreTrustedPeerShareCap, 0.01, 0.5);
        Check(problems, nameof(ConvergenceTolerance), ConvergenceTolerance, 1e-9, 0.1);
        Check(problems, nameof(MaxIterations), MaxIterations, 1, 1000);
        Check(problems, nameof(LocalTrustHalfLife), LocalTrustHalfLife, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        Check(problems, nameof(RequestEvidenceWeight), RequestEvidenceWeight, 0, 1);
        Check(problems, nameof(LostShardEvidenceWeight), LostShardEvidenceWeight, 1, 64);
        Check(problems, nameof(CheckPassedEvidenceWeight), CheckPassedEvidenceWeight, 0, 1);
        Check(problems, nameof(MaxTrackedPeers), MaxTrackedPeers, 16, 1 << 24);
        Check(problems, nameof(MaxRecordEntries), MaxRecordEntries, 1, 4096);
        Check(problems, nameof(MaxRecordAge), MaxRecordAge, TimeSpan.FromMinutes(10), TimeSpan.FromDays(30));
        Check(problems, nameof(MaxClockSkew), MaxClockSkew, TimeSpan.Zero, TimeSpan.FromHours(1));
        Check(problems, nameof(TrustRecomputeInterval), TrustRecomputeInterval, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1));
        Check(problems, nameof(TrustPublishInterval), TrustPublishInterval, TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));
        if (TrustPublishInterval >= MaxRecordAge && MaxRecordAge >= TimeSpan.FromMinutes(10))
        {
            problems.Add(Describe(nameof(TrustPublishInterval), TrustPublishInterval, FormattableString.Invariant($"it must be shorter than MaxRecordAge ({MaxRecordAge:c}), or a node's record expires before its next")));
        }

        Check(problems, nameof(TrustExchangeInterval), TrustExchangeInterval, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1));
        Check(problems, nameof(TrustExchangePeers), TrustExchangePeers, 0, 16);
        Check(problems, nameof(MaxTrustRecords), MaxTrustRecords, 0, 1 << 20);
        Check(problems, nameof(TrustServeBytesPerPeerPerHour), TrustServeBytesPerPeerPerHour, 1L << 20, 1L << 32);
        Check(problems, nameof(TrustExponent), TrustExponent, 0, 8);
        Check(problems, nameof(TrustCap), TrustCap, 1, 1000);
        Check(problems, nameof(HolderShareCap), HolderShareCap, 1, 1000);
        Check(problems, nameof(PerformanceExponent), PerformanceExponent, 0, 8);
        Check(problems, nameof(CapacityExponent), CapacityExponent, 0, 8);
        Check(problems, nameof(NewcomerShare), NewcomerShare, 0, 0.5);
        Check(problems, nameof(RttReferenceMs), RttReferenceMs, 1, 10_000);
        Check(problems, nameof(CapacityReferenceBytes), CapacityReferenceBytes, 1L << 20, 1L << 50);
        Check(problems, nameof(CapacityRecordInterval), CapacityRecordInterval, TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));
        Check(problems, nameof(CapacityPullsPerRound), CapacityPullsPerRound, 0, 256);
        Check(problems, nameof(ClusterRadiusMs), ClusterRadiusMs, 0, 1000);
        Check(problems, nameof(MaxReplicas), MaxReplicas, 1, 64);
        // BaseReplicas is checked against MaxReplicas only when MaxReplicas itself is valid, so one mistake gives one sentence.
        if (MaxReplicas is >= 1 and <= 64 && BaseReplicas >= 1 && BaseReplicas > MaxReplicas)
        {
            // Either key may be the mistake: the sentence names both.
            problems.Add(Describe(nameof(BaseReplicas), BaseReplicas, FormattableString.Invariant($"it must be between 1 and {MaxReplicas} ({SectionName}:{nameof(MaxReplicas)})")));
        }
        else
        {
            Check(problems, nameof(BaseReplicas), BaseReplicas, 1, 64);
        }
        Check(problems, nameof(TargetLossProbability), TargetLossProbability, 1e-15, 0.1);
        Check(problems, nameof(ReadsPerReplicaPerHour), ReadsPerReplicaPerHour, 1, 10_000_000);
        return problems;
    }

    private static void Check(List<string> problems, string key, double value, double min, double max)
    {
        // NaN fails both comparisons' negations, so it is reported too.
        if (!(value >= min && value <= max))
        {
            problems.Add(Describe(key, value, FormattableString.Invariant($"it must be between {min} and {max}")));
        }
    }

    private static void Check(List<string> problems, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add(Describe(key, value, FormattableString.Invariant($"it must be between {min} and {max}")));
        }
    }

    private static void Check(List<string> problems, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            problems.Add(Describe(key, value, FormattableString.Invariant($"it must be between {min:c} and {max:c}")));
        }
    }

    private static string Describe(string key, object? value, string allowed)
    {
        var text = value switch
        {
            null => "empty",
            string s => $"'{s}'",
            TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "empty",
        };
        return $"'{SectionName}:{key}' is {text}; {allowed}.";
    }
}
