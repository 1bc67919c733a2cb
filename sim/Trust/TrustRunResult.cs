namespace Overlay.Sim.Trust;

/// <summary>What one run measured over its second half.</summary>
/// <param name="Settings">The run.</param>
/// <param name="Placements">Replicas placed.</param>
/// <param name="OnMalicious">Share of replicas placed on malicious peers (spies included).</param>
/// <param name="OnMisbehaving">Share of replicas placed on peers that drop shards (malicious other than spies; camouflaged members count).</param>
/// <param name="ShardsLost">Share of objects whose every replica was dropped.</param>
/// <param name="MeanRttMs">Mean RTT from the placing peer to the chosen peers.</param>
/// <param name="MaxLoad">Replicas on the busiest peer over the mean per honest peer.</param>
/// <param name="PreTrustedShare">Share of replicas placed on the pre-trusted peers.</param>
/// <param name="MaliciousTrust">Global trust held by malicious peers at the end.</param>
/// <param name="HonestRowsOnMalicious">Share of an honest peer's row c_i· given to malicious peers, on average at the end.</param>
/// <param name="Iterations">EigenTrust iterations of the last computation.</param>
/// <param name="MeanReplicas">Replicas per object (the replication rule's choice when the run asks for it).</param>
/// <param name="WallSeconds">Wall time of the run.</param>
/// <param name="RecordsAccepted">Signed records the checking collector accepted (0 unless records are signed).</param>
/// <param name="RecordsRefused">Records the checking collector refused, every reason together.</param>
/// <param name="ForgeriesTaken">Forged records the unchecking collector took in place of their named issuer's own.</param>
/// <param name="RaisedForDemand">Share of objects given more replicas for their demand than their candidates' failure rate asked for.</param>
/// <param name="MaxReadsPerReplica">The most reads an hour one replica of one object serves (0 without demand).</param>
/// <param name="MaxReadLoad">Reads an hour served by the busiest peer over the mean per peer, every placed replica serving its share of its object's reads (0 without demand).</param>
internal sealed record TrustRunResult(
    TrustRunSettings Settings,
    long Placements,
    double OnMalicious,
    double OnMisbehaving,
    double ShardsLost,
    double MeanRttMs,
    double MaxLoad,
    double PreTrustedShare,
    double MaliciousTrust,
    double HonestRowsOnMalicious,
    int Iterations,
    double MeanReplicas,
    double WallSeconds,
    long RecordsAccepted,
    long RecordsRefused,
    long ForgeriesTaken,
    double RaisedForDemand,
    double MaxReadsPerReplica,
    double MaxReadLoad);
