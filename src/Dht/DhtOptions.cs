namespace Overlay.Dht;

/// <summary>
/// Settings of the DHT core. Defaults follow the Kademlia paper (k = 20, α = 3, hourly refresh and
/// republish, 24 h expiry) unless a comment says otherwise. Bound from the <c>Dht</c> section.
/// </summary>
public sealed class DhtOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Dht";

    /// <summary>Bucket size and lookup result size k (Kademlia §2.2). Range 1..256; default 20.</summary>
    public int K { get; set; } = 20;

    /// <summary>
    /// Requests in flight per lookup, α (Kademlia §2.3); with disjoint paths, α / d per path and at least one.
    /// Range 1..32; default 3.
    /// </summary>
    public int Alpha { get; set; } = 3;

    /// <summary>
    /// S/Kademlia disjoint lookup paths d (§4.4): each node is queried by at most one path, and each path
    /// keeps α / d requests in flight (at least one). A path that asks one node per hop meets an adversary
    /// with probability 1 − (1 − m)^hops, the chain S/Kademlia's estimate assumes; three at a time would meet
    /// one about three times as often, and one adversary's answer takes the whole path over. 0 turns the
    /// option off (one ordinary path). Range 0..16; default 0.
    /// </summary>
    public int DisjointPaths { get; set; }

    /// <summary>Requests a lookup keeps in flight on each of its paths: α, or α / d with d disjoint paths (at least one).</summary>
    internal int AlphaPerPath => DisjointPaths > 1 ? Math.Max(1, Alpha / DisjointPaths) : Alpha;

    /// <summary>Time a single RPC may take before it counts as failed. Range 10 ms..5 min; default 5 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A lookup stops waiting for a peer once its request has taken this many times the time its answer is
    /// expected to take (two round trips at the RTT this node measured to the peer: the handshake of a new
    /// connection and the request), but never sooner than <see cref="MinPeerTimeout"/> nor later than
    /// <see cref="RequestTimeout"/>. The peer then counts as failed for that lookup, so one dead or very slow
    /// peer cannot hold a lookup for the whole <see cref="RequestTimeout"/>; the request itself runs on until
    /// <see cref="RequestTimeout"/>, and an answer that still arrives is used. A peer this node never measured
    /// is waited for until <see cref="RequestTimeout"/>, even when a coordinate predicts its RTT: a low
    /// prediction would give up on a live member of the k closest. 0 turns this off.
    /// Range 0..100; default 3.
    /// </summary>
    public double PeerTimeoutFactor { get; set; } = 3;

    /// <summary>The shortest a lookup waits for any peer before giving up on it (see <see cref="PeerTimeoutFactor"/>). Range 10 ms..RequestTimeout; default 500 ms.</summary>
    public TimeSpan MinPeerTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Hedging: when a lookup request has taken this many times its expected time (see
    /// <see cref="PeerTimeoutFactor"/>), its slot among the α in flight goes to the next candidate while the
    /// lookup still waits for the slow answer. A peer with no measured or predicted RTT is never hedged.
    /// 0 turns hedging off. Range 0..100; default 1.
    /// </summary>
    public double HedgeFactor { get; set; } = 1;

    /// <summary>
    /// Valid records a FIND_VALUE collects, from distinct peers, before it returns one: the highest sequence
    /// of the publisher most of them carry. 1 returns at the first valid record: right for immutable values
    /// and fastest. A larger quorum suits mutable values, where one holder may still serve an older version,
    /// and keeps a lone responder that signed a record of its own under the key from deciding the answer;
    /// the lookup returns what it has when it ends with fewer. Range 1..K; default 1.
    /// </summary>
    public int ValueQuorum { get; set; } = 1;

    /// <summary>
    /// Kademlia's final phase (§2.3): after this many answers in a row that bring nothing closer than the
    /// closest peer already seen, a lookup path asks every unqueried peer among its k closest at once; 0 never.
    /// A measurement switch for the simulator, not configuration.
    /// </summary>
    internal int LookupFinalPhaseAfter { get; set; } = 1;

    /// <summary>
    /// Proximity neighbour selection in far buckets (see <see cref="PreferLowLatency"/>). A measurement switch
    /// for the simulator, not configuration.
    /// </summary>
    internal bool ProximityNeighbourSelection { get; set; } = true;

    /// <summary>
    /// Lookups predict RTTs to peers they learn of from the coordinates answers pass on with them. A
    /// measurement switch for the simulator, not configuration.
    /// </summary>
    internal bool UseReportedCoordinates { get; set; } = true;

    /// <summary>A bucket not looked up for this long is refreshed (Kademlia §2.3). Range 1 min..7 days; default 1 h.</summary>
    public TimeSpan BucketRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Locally published records are re-sent this often (Kademlia §2.5). Range 1 min..RecordTtl; default 1 h.</summary>
    public TimeSpan RepublishInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of a record after publication (Kademlia §2.5). Range 1 min..30 days; default 24 h.</summary>
    public TimeSpan RecordTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Largest record value in bytes. Range 1..1 MiB; default 65536 (64 KiB).</summary>
    public int MaxValueBytes { get; set; } = 65536;

    /// <summary>Largest publisher public key in bytes (Ed25519 is 32; hybrid keys with ML-DSA-65 are about 2 KiB). Range 1..8192; default 4096.</summary>
    public int MaxPublicKeyBytes { get; set; } = 4096;

    /// <summary>Largest signature in bytes (ML-DSA-87 signatures are 4627). Range 1..16384; default 8192.</summary>
    public int MaxSignatureBytes { get; set; } = 8192;

    /// <summary>
    /// Replacement-cache entries kept per bucket. Range 0..256; default 10: half of K holds the same
    /// lookups, and the same gets after a fifth of the network fails, as K did, and a wide table's far
    /// buckets each keep ten fewer contacts.
    /// </summary>
    public int ReplacementCacheSize { get; set; } = 10;

    /// <summary>
    /// Contacts sharing one network group (IPv4 /24, IPv6 /48) allowed in one bucket: limits how
    /// much of a bucket one operator's subnet can fill (eclipse resistance). Range 1..K; default 2.
    /// </summary>
    public int MaxContactsPerGroupPerBucket { get; set; } = 2;

    /// <summary>Contacts sharing one network group allowed in the whole table. Range 1..65536; default 10.</summary>
    public int MaxContactsPerGroupInTable { get; set; } = 10;

    /// <summary>
    /// Failed requests after which a contact is replaced by a replacement-cache entry (it is kept while
    /// the cache is empty, Kademlia §4.1). Range 1..100; default 2.
    /// </summary>
    public int StaleContactFailures { get; set; } = 2;

    /// <summary>
    /// How recently a full bucket's least-recently-seen contact must have been heard from to be kept
    /// without a ping when a newcomer arrives: the newcomer then just waits in the replacement cache.
    /// Without it every sighting of a newcomer (each inbound request from a peer not in the table)
    /// costs the oldest contact a ping, and usually a connection, though it answered moments ago.
    /// Zero pings on every such sighting. Range 0..1 day; default 15 min (a contact heard from within
    /// 15 minutes counts as good, as in BEP 5).
    /// </summary>
    public TimeSpan FreshContactWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Pings per minute the routing table may ask for to check a full bucket's least-recently-seen contact
    /// when a newcomer arrives (one minute's worth may be spent at once). Each such ping usually costs a
    /// connection, and newcomers are whoever sends us requests, so without a budget the peers we hear from
    /// decide how many pings and dials we make; newcomers past the budget wait in the replacement cache,
    /// where failed requests and the next sighting find them (Kademlia §4.1). Zero never pings on a sighting.
    /// Range 0..600; default 2.
    /// </summary>
    public double EvictionPingsPerMinute { get; set; } = 2;

    /// <summary>
    /// Connections kept open to routing-table contacts, so that lookups starting from them skip the
    /// handshake (one round trip of the two a first request costs). Contacts of the farthest buckets come
    /// first: a lookup for a uniformly random key starts in bucket 0 half the time, bucket 1 a quarter, and so
    /// on. Each maintenance round touches those connections so the pool's idle sweep keeps them, and pings
    /// each kept contact not heard from for <see cref="WarmContactPing"/> (opening the connection again if it
    /// was closed), so the far end sees traffic too. A contact that leaves the table is no longer kept; the
    /// pool closes its connection once idle. Each kept connection costs its memory on both ends and the DHT
    /// pings above (the transport sends no keep-alives on an idle connection). 0 keeps none. Range 0..1000; default 0.
    /// </summary>
    public int WarmConnections { get; set; }

    /// <summary>
    /// A contact whose connection is kept (<see cref="WarmConnections"/>) and that has not been heard from for
    /// this long is pinged; shorter than the transport's idle timeout, so neither end's pool closes the
    /// connection. Range 00:00:10..01:00:00; default 5 min.
    /// </summary>
    public TimeSpan WarmContactPing { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Among lookup candidates that give equal progress, query the one with the lowest predicted
    /// latency first; promote low-latency replacement-cache entries; and in a full bucket that holds none of
    /// the node's k closest contacts, let a newcomer whose measured RTT is at least a quarter lower take the
    /// slowest contact's place (proximity neighbour selection; the displaced contact waits in the replacement
    /// cache). Never changes what a lookup returns. Default true.
    /// </summary>
    public bool PreferLowLatency { get; set; } = true;

    /// <summary>
    /// Sustained inbound requests per second accepted from one peer. Sized from what one honest peer sends
    /// during a bulk put: each put asks every peer of a network of up to K + 1 nodes twice (a FIND_NODE and
    /// a STORE; fewer in larger networks), and a put costs its publisher 2.6–2.9 ms of CPU, so a publisher
    /// putting with a whole core sends each peer about 740 requests a second (docs/BENCHMARKS.md, "Durable
    /// puts"). 1,000 lets that run on with room to spare, while a peer at the limit costs the node a bounded
    /// share of a core. Range 0.1..10000; default 1000.
    /// </summary>
    public double MaxRequestsPerPeerPerSecond { get; set; } = 1000;

    /// <summary>
    /// Burst of inbound requests accepted from one peer above the sustained rate: 1,000 puts at any speed
    /// in a small network. Beyond the limit a peer is answered RateLimited and its puts back off and retry.
    /// Range 1..100000; default 2000.
    /// </summary>
    public int RequestBurstPerPeer { get; set; } = 2000;

    /// <summary>
    /// Peers that must accept a put for it to succeed; the put is a failure below that. A node that knows
    /// fewer peers needs a majority of those it knows instead (⌊n/2⌋ + 1 of n contacts), and a node that
    /// knows none keeps the record itself and succeeds (it is sent to the k closest at the next republish).
    /// Five is ⌈K/4⌉ for the default K: each holder re-sends the record every <see cref="RepublishInterval"/>,
    /// so it is lost only if all of them and the publisher leave within one interval, while asking for a
    /// majority of K (11) would fail puts whenever many of the closest peers are slow or unreachable.
    /// 0: a put never fails for want of peers; more than K counts as K. Range 0..256; default 5.
    /// </summary>
    public int MinStoreReplicas { get; set; } = 5;

    /// <summary>
    /// How long a put keeps retrying peers that gave no verdict or refused it under their rate limit
    /// (backing off from 250 ms, doubling up to 4 s, with jitter) before it reports the peers it reached.
    /// Zero: one round, no retries. Range 0..10 min; default 30 s.
    /// </summary>
    public TimeSpan PutRetryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Provider records kept per content key. Range 1..10000; default 20.</summary>
    public int MaxProvidersPerKey { get; set; } = 20;

    /// <summary>
    /// Ids one provider batch may name (docs/PROTOCOL.md, "Provider batch (kind 3)"): 32 bytes each, so the default
    /// STORE is at most 128 KiB plus the key and signature, within a transport frame. Range 1..16384; default 4096.
    /// </summary>
    public int MaxProviderBatchIds { get; set; } = 4096;

    /// <summary>
    /// Provider ids this node keeps for one provider, single records and batched ones together, so one identity
    /// cannot fill the provider store. Range 1..10,000,000; default 65,536.
    /// </summary>
    public int MaxProviderIdsPerProvider { get; set; } = 65_536;

    /// <summary>Value records kept in memory. Range 1..10,000,000; default 100,000.</summary>
    public int MaxRecords { get; set; } = 100_000;

    /// <summary>
    /// Provider records whose signature this node checked and remembers, by the BLAKE3 of their exact signed bytes,
    /// so the same record met again in a lookup's answers is not verified again. About 100 bytes each; 0 checks
    /// every record in full. Range 0..1,000,000; default 4096.
    /// </summary>
    public int CheckedProviderRecords { get; set; } = Records.CheckedProviderRecords.DefaultCapacity;

    /// <summary>Checks every setting; returns one sentence per problem, empty when all are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        CheckRange(problems, nameof(K), K, 1, 256);
        // Limits tied to K are checked against K only when K itself is valid, so one mistake gives one sentence.
        var kLimit = K is >= 1 and <= 256 ? K : 256;
        CheckRange(problems, nameof(Alpha), Alpha, 1, 32);
        CheckRange(problems, nameof(DisjointPaths), DisjointPaths, 0, 16);
        CheckRange(problems, nameof(RequestTimeout), RequestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5));
        CheckRange(problems, nameof(PeerTimeoutFactor), PeerTimeoutFactor, 0, 100);
        var requestLimit = RequestTimeout >= TimeSpan.FromMilliseconds(10) && RequestTimeout <= TimeSpan.FromMinutes(5) ? RequestTimeout : TimeSpan.FromMinutes(5);
        CheckRange(problems, nameof(MinPeerTimeout), MinPeerTimeout, TimeSpan.FromMilliseconds(10), requestLimit);
        CheckRange(problems, nameof(HedgeFactor), HedgeFactor, 0, 100);
        CheckRange(problems, nameof(ValueQuorum), ValueQuorum, 1, kLimit);
        CheckRange(problems, nameof(BucketRefreshInterval), BucketRefreshInterval, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        CheckRange(problems, nameof(RecordTtl), RecordTtl, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30));
        CheckRange(problems, nameof(RepublishInterval), RepublishInterval, TimeSpan.FromMinutes(1),
            RecordTtl >= TimeSpan.FromMinutes(1) ? RecordTtl : TimeSpan.FromMinutes(1));
        CheckRange(problems, nameof(MaxValueBytes), MaxValueBytes, 1, 1 << 20);
        CheckRange(problems, nameof(MaxPublicKeyBytes), MaxPublicKeyBytes, 1, 8192);
        CheckRange(problems, nameof(MaxSignatureBytes), MaxSignatureBytes, 1, 16384);
        CheckRange(problems, nameof(ReplacementCacheSize), ReplacementCacheSize, 0, 256);
        CheckRange(problems, nameof(WarmConnections), WarmConnections, 0, 1000);
        CheckRange(problems, nameof(WarmContactPing), WarmContactPing, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));
        CheckRange(problems, nameof(MaxContactsPerGroupPerBucket), MaxContactsPerGroupPerBucket, 1, kLimit);
        CheckRange(problems, nameof(MaxContactsPerGroupInTable), MaxContactsPerGroupInTable, 1, 65536);
        CheckRange(problems, nameof(StaleContactFailures), StaleContactFailures, 1, 100);
        CheckRange(problems, nameof(FreshContactWindow), FreshContactWindow, TimeSpan.Zero, TimeSpan.FromDays(1));
        if (!(EvictionPingsPerMinute >= 0 && EvictionPingsPerMinute <= 600))
        {
            problems.Add($"{SectionName}:{nameof(EvictionPingsPerMinute)} is {EvictionPingsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture)}; it must be between 0 and 600.");
        }

        if (!(MaxRequestsPerPeerPerSecond >= 0.1 && MaxRequestsPerPeerPerSecond <= 10000))
        {
            problems.Add($"{SectionName}:{nameof(MaxRequestsPerPeerPerSecond)} is {MaxRequestsPerPeerPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)}; it must be between 0.1 and 10000.");
        }

        CheckRange(problems, nameof(RequestBurstPerPeer), RequestBurstPerPeer, 1, 100_000);
        CheckRange(problems, nameof(MinStoreReplicas), MinStoreReplicas, 0, 256);
        CheckRange(problems, nameof(PutRetryTimeout), PutRetryTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        CheckRange(problems, nameof(MaxProvidersPerKey), MaxProvidersPerKey, 1, 10_000);
        CheckRange(problems, nameof(MaxProviderBatchIds), MaxProviderBatchIds, 1, 16_384);
        CheckRange(problems, nameof(MaxProviderIdsPerProvider), MaxProviderIdsPerProvider, 1, 10_000_000);
        CheckRange(problems, nameof(MaxRecords), MaxRecords, 1, 10_000_000);
        CheckRange(problems, nameof(CheckedProviderRecords), CheckedProviderRecords, 0, 1_000_000);
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem when the options are invalid.</summary>
    public DhtOptions EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }

        return this;
    }

    private static void CheckRange(List<string> problems, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            problems.Add(FormattableString.Invariant($"{SectionName}:{key} is {value}; it must be between {min} and {max}."));
        }
    }

    private static void CheckRange(List<string> problems, string key, double value, double min, double max)
    {
        if (!(value >= min && value <= max))
        {
            problems.Add(FormattableString.Invariant($"{SectionName}:{key} is {value}; it must be between {min} and {max}."));
        }
    }

    private static void CheckRange(List<string> problems, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            problems.Add(FormattableString.Invariant($"{SectionName}:{key} is {value}; it must be between {min} and {max}."));
        }
    }
}
