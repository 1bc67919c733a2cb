using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>What an owner asked a holder of its shards.</summary>
public enum HolderCheck
{
    /// <summary>A batched probe (or, to a holder that predates it, a zero-length fetch): does it answer, does it still list the shards.</summary>
    Probe,

    /// <summary>An audit challenge.</summary>
    Audit,

    /// <summary>A renewal of its receipt.</summary>
    Renew,

    /// <summary>A pull (repair) onto it as the new holder.</summary>
    Pull,
}

/// <summary>How a holder answered; <see cref="Passed"/> is the only good outcome.</summary>
public enum HolderVerdict
{
    /// <summary>Answered as a holder of the bytes would.</summary>
    Passed,

    /// <summary>Answered, wrongly (an audit answer that does not match, a receipt that does not check out).</summary>
    Wrong,

    /// <summary>Said it does not have the shard.</summary>
    Missing,

    /// <summary>Did not answer in time, or could not be reached.</summary>
    NoAnswer,

    /// <summary>Refused for another typed reason (quota, rate, unwilling …): no fault of the bytes.</summary>
    Refused,
}

/// <summary>
/// One interaction of the owner's maintenance with a holder, in the shape trust consumes: who, about
/// which shard, what was asked, how it went, and how long the answer took. Published through
/// <see cref="OwnedShardCare.Observed"/>.
/// </summary>
public readonly record struct HolderOutcome(PeerId Holder, ShardId Shard, HolderCheck Check, HolderVerdict Verdict, TimeSpan Latency);
