using Overlay.Placement;

namespace Overlay.Sim.Trust;

/// <summary>One simulated run of trust-weighted placement under a threat model.</summary>
/// <param name="Model">The threat model.</param>
/// <param name="MaliciousShare">Share of the peers that are malicious (0..1).</param>
/// <param name="TrustOn">Weights from trust and measurements; false places uniformly at random under the same caps.</param>
/// <param name="Peers">Number of peers.</param>
/// <param name="Rounds">Rounds of one virtual hour each; the second half is measured.</param>
/// <param name="Seed">Seed of every random choice in the run.</param>
/// <param name="Options">Placement options (exponents, newcomer share, a).</param>
/// <param name="Camouflage">Model C: share of exchanges a member handles well.</param>
/// <param name="SpyShare">Model D: share of the collective that are spies.</param>
/// <param name="PreTrusted">Honest peers that are pre-trusted (the bootstrap peers).</param>
/// <param name="ObjectsPerRound">Objects each honest peer places per round.</param>
/// <param name="Replicas">Replicas per object; 0 lets the replication rule choose from the candidates' expected failure rate.</param>
/// <param name="BackgroundExchanges">Exchanges per honest peer and round with peers drawn uniformly (DHT traffic), observed like any other.</param>
/// <param name="AuditsPerRound">Audits per honest peer and round of replicas it placed in the last day: a dropped shard fails every audit.</param>
/// <param name="HonestFailure">Chance that an exchange with an honest peer fails anyway (timeouts).</param>
/// <param name="Records">How rows reach the matrix: plain, or as signed records beside forgeries, checked or not.</param>
/// <param name="PeakReadsPerHour">
/// Reads an hour of the most read object; 0 gives every object no demand. Otherwise each object is read
/// <c>PeakReadsPerHour / k</c> times an hour, with its popularity rank k drawn log-uniformly from 1 to 1,000 (so
/// P(k) ∝ 1/k, Zipf's law), and the replication rule (with <c>Replicas</c> 0) weighs that demand.
/// </param>
internal sealed record TrustRunSettings(
    ThreatModel Model,
    double MaliciousShare,
    bool TrustOn,
    int Peers,
    int Rounds,
    int Seed,
    PlacementOptions Options,
    double Camouflage = 0.5,
    double SpyShare = 0.25,
    int PreTrusted = 10,
    int ObjectsPerRound = 4,
    int Replicas = 3,
    int BackgroundExchanges = 4,
    int AuditsPerRound = 12,
    double HonestFailure = 0.02,
    TrustRecordMode Records = TrustRecordMode.Plain,
    double PeakReadsPerHour = 0);
