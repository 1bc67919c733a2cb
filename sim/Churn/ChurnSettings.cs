namespace Overlay.Sim.Churn;

/// <summary>
/// One churn or silent-dropper run: how many whole nodes and shards, how long (virtual), how nodes come
/// and go (Weibull session times; none when <see cref="Churn"/> is false), what fraction of the nodes drop
/// every shard they acknowledged, and the owner's maintenance settings the run sets explicitly.
/// </summary>
internal sealed record ChurnSettings
{
    public int Nodes { get; init; } = 200;

    public int Shards { get; init; } = 2000;

    public int ShardBytes { get; init; } = 16 * 1024;

    public int Replicas { get; init; } = 3;

    /// <summary>Virtual time measured after the shards are placed.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Whether nodes leave (a crash, their memory lost) when their session ends; a new node, a new identity, takes each one's place at once.</summary>
    public bool Churn { get; init; } = true;

    public double WeibullShape { get; init; } = 0.59;

    public TimeSpan WeibullScale { get; init; } = TimeSpan.FromHours(2.5);

    /// <summary>Fraction of the nodes that keep no shard: they acknowledge each store with a receipt, then delete it.</summary>
    public double Droppers { get; init; }

    /// <summary>How often a dropper deletes what it acknowledged since the last time.</summary>
    public TimeSpan DropEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often availability is sampled.</summary>
    public TimeSpan SampleEvery { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Shards fetched through the network (by a random live node that is not the owner) at each sample.</summary>
    public int FetchesPerSample { get; init; } = 100;

    /// <summary><c>ShardExchange:Placement</c> of every node.</summary>
    public string Placement { get; init; } = "closest";

    /// <summary><c>ShardExchange:ProbeInterval</c>; the daemon's default is 2 s.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>ShardExchange:AuditInterval</c>; the daemon's default is 1 h.</summary>
    public TimeSpan AuditInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary><c>ShardExchange:AuditChallengesAtStore</c> of every node (null: the default).</summary>
    public int? AuditChallengesAtStore { get; init; }

    /// <summary><c>ShardExchange:ProbationPeriod</c> of every node (null: the default, 1 h; zero: owners keep no copy).</summary>
    public TimeSpan? ProbationPeriod { get; init; }

    public bool Repair { get; init; } = true;

    /// <summary>
    /// The EigenTrust threat model the droppers follow, or null for plain silent droppers. With a model the
    /// <see cref="Droppers"/> fraction is the malicious share; members misbehave on the data plane as the model says
    /// (A, B drop every shard; C keeps a share <see cref="Camouflage"/> of them; D's spies, <see cref="SpyShare"/> of the
    /// members, keep all) and sign rows that lie every <see cref="RowEvery"/> (A names 20 random nodes; B and C name the
    /// other members; in D every member names only the members that drop).
    /// </summary>
    public Overlay.Sim.Trust.ThreatModel? Model { get; init; }

    public double Camouflage { get; init; } = 0.5;

    public double SpyShare { get; init; } = 0.25;

    public TimeSpan RowEvery { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Shards placed by random honest owners at each sample, their holders counted (those of the second half of the run reported).</summary>
    public int PlacementsPerSample { get; init; }

    /// <summary>
    /// Node 0, the bootstrap peer every node joins through and so pre-trusts by default, is one of the malicious nodes
    /// (the first drawn: in model D a spy, which keeps its shards and vouches for the members that delete). False, the
    /// default, keeps it honest, as EigenTrust assumes of its pre-trusted peers; the malicious nodes are then drawn
    /// among the others.
    /// </summary>
    public bool MaliciousBootstrap { get; init; }

    /// <summary><c>Placement:PreTrustedPeerShareCap</c> of every node (null: the default).</summary>
    public double? PreTrustCap { get; init; }

    /// <summary><c>Placement:RevokePreTrustOnOwnEvidence</c> of every node.</summary>
    public bool RevokePreTrust { get; init; } = true;

    /// <summary><c>Placement:HolderShareCap</c> of every node (null: the default).</summary>
    public double? HolderShareCap { get; init; }

    /// <summary><c>Placement:MaxTrustRecords</c> of every node: how many issuers' rows it holds (null: the default).</summary>
    public int? MaxTrustRecords { get; init; }

    /// <summary><c>Placement:TrustExchangeEnabled</c> of every node.</summary>
    public bool TrustExchange { get; init; } = true;

    /// <summary>
    /// Every node's local trust counts each exchange as one, whatever its protocol, checks that pass included
    /// (<c>Placement:RequestEvidenceWeight</c>, <c>LostShardEvidenceWeight</c> and <c>CheckPassedEvidenceWeight</c> 1):
    /// EigenTrust's plain count, for comparison with the weighed default.
    /// </summary>
    public bool FlatEvidence { get; init; }

    public int Seed { get; init; } = 1;
}
