using Overlay.Node.Shards;
using Overlay.Placement;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// How much one reported exchange counts in local trust, s_ij = Σ satisfactory − Σ unsatisfactory (EigenTrust
/// §4.1), in stored shards: a store acknowledged with a valid receipt counts 1. The transactions EigenTrust
/// counts are the ones whose outcome the owner can check and that cost something to fake: a shard taken (a
/// signed receipt, a repair copy), a shard served (bytes that hash to its id), a shard lost. A DHT or
/// <c>trust/1</c> request counts <see cref="PlacementOptions.RequestEvidenceWeight"/> (1/64), whatever its
/// outcome, so a peer that answers the DHT well cannot buy with it the trust it loses by dropping shards. A
/// check of a shard that passes counts <see cref="PlacementOptions.CheckPassedEvidenceWeight"/> (0), a shard lost
/// <see cref="PlacementOptions.LostShardEvidenceWeight"/> (4) against. Timeouts and broken streams on
/// <c>shard/1</c>, and wrong answers on any protocol, count 1 against (docs/PLACEMENT.md, "Local trust").
/// </summary>
/// <param name="Request">A DHT or <c>trust/1</c> request answered, timed out or broken off.</param>
/// <param name="LostShard">A shard lost or lied about: an audit, probe or renewal answered "missing" or wrong, a bad receipt, bad bytes.</param>
/// <param name="CheckPassed">An audit, probe or renewal that passed.</param>
public sealed record TrustEvidence(double Request, double LostShard, double CheckPassed)
{
    /// <summary>A store acknowledged, a repair copy taken, a fetch served verified bytes: the unit.</summary>
    public const double ShardTaken = 1;

    /// <summary>A <c>shard/1</c> exchange that timed out or broke off: as much as a store, since churn and load explain it as often as malice.</summary>
    public const double ShardUnanswered = 1;

    /// <summary>An answer on any protocol that did not check out (a forged record relayed, an undecodable reply): a lie counts as a store, not a request.</summary>
    public const double WrongAnswer = 1;

    /// <summary>The weights of the node.config.json defaults.</summary>
    public static TrustEvidence Default { get; } = From(new PlacementOptions());

    /// <summary>The weights <paramref name="options"/> set.</summary>
    public static TrustEvidence From(PlacementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.RequestEvidenceWeight, options.LostShardEvidenceWeight, options.CheckPassedEvidenceWeight);
    }

    /// <summary>
    /// The local-trust evidence in <paramref name="outcome"/>: false when it carries none (a typed refusal, or an
    /// outcome whose weight is 0); otherwise whether it is satisfactory and its weight.
    /// </summary>
    public bool TryWeigh(in InteractionOutcome outcome, out bool satisfactory, out double weight)
    {
        satisfactory = outcome.Result == InteractionResult.Succeeded;
        weight = outcome.Result switch
        {
            InteractionResult.Refused => 0,
            InteractionResult.Succeeded when outcome.Protocol != ProtocolIds.Shard => Request,
            InteractionResult.Succeeded when IsCheck(outcome.Operation) => CheckPassed,
            InteractionResult.Succeeded => ShardTaken,
            InteractionResult.InvalidReply when outcome.Protocol == ProtocolIds.Shard => LostShard,
            InteractionResult.InvalidReply => WrongAnswer,
            _ when outcome.Protocol == ProtocolIds.Shard => ShardUnanswered,
            _ => Request,
        };
        return weight > 0;
    }

    private static bool IsCheck(string operation) =>
        operation is ShardOutcomes.Probe or ShardOutcomes.Audit or ShardOutcomes.Renew;
}
