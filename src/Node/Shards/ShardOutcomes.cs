using Overlay.Crypto;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Shards;

/// <summary>
/// How a <c>shard/1</c> exchange ended, for the interaction seam. A holder's typed refusal for reasons a
/// well-behaved holder has (quota, size, rate, not willing) is <see cref="InteractionResult.Refused"/> and
/// costs it no trust; a receipt or an answer that does not check out, and a shard the holder promised to
/// keep but no longer has, are <see cref="InteractionResult.InvalidReply"/>.
/// </summary>
public static class ShardOutcomes
{
    /// <summary>Operation name of a store.</summary>
    public const string Store = "store";

    /// <summary>Operation name of an audit challenge.</summary>
    public const string Audit = "audit";

    /// <summary>How an exchange that threw <paramref name="e"/> ended, or null when the exception says nothing about the peer.</summary>
    /// <param name="e">What the exchange threw.</param>
    /// <param name="audit">True for an audit, where "not found" means the holder dropped a shard it promised to keep.</param>
    public static InteractionResult? Classify(ShardExchangeException e, bool audit)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Rejection != ReceiptRejection.None)
        {
            return InteractionResult.InvalidReply;
        }

        return e.Refusal switch
        {
            ShardRefusal.Quota or ShardRefusal.Rate or ShardRefusal.Unwilling => InteractionResult.Refused,
            // On a store, Size is the holder's limit; on an audit, an answer cut short.
            ShardRefusal.Size => audit ? InteractionResult.InvalidReply : InteractionResult.Refused,
            ShardRefusal.NotFound => audit ? InteractionResult.InvalidReply : InteractionResult.Refused,
            // The holder failed locally, or ended the stream without an answer: the exchange broke off.
            ShardRefusal.Failed => InteractionResult.Unreachable,
            _ => InteractionResult.InvalidReply,
        };
    }

    /// <summary>Operation name of an owner's probe (a zero-length fetch).</summary>
    public const string Probe = "probe";

    /// <summary>Operation name of a receipt renewal.</summary>
    public const string Renew = "renew";

    /// <summary>Operation name of a pull onto a new holder (a repair).</summary>
    public const string Pull = "pull";

    /// <summary>The operation name of an owner's check of a holder.</summary>
    public static string OperationOf(HolderCheck check) => check switch
    {
        HolderCheck.Probe => Probe,
        HolderCheck.Audit => Audit,
        HolderCheck.Renew => Renew,
        _ => Pull,
    };

    /// <summary>
    /// How a holder's answer to its owner counts: a wrong answer, or a shard it promised to keep and no longer
    /// has, is <see cref="InteractionResult.InvalidReply"/>; no answer is <see cref="InteractionResult.TimedOut"/>;
    /// a typed refusal costs nothing. On a pull, "missing" is the source's answer relayed by the new holder, not
    /// the new holder's fault, so it counts as a refusal.
    /// </summary>
    public static InteractionResult ResultOf(HolderCheck check, HolderVerdict verdict) => verdict switch
    {
        HolderVerdict.Passed => InteractionResult.Succeeded,
        HolderVerdict.Missing when check == HolderCheck.Pull => InteractionResult.Refused,
        HolderVerdict.Wrong or HolderVerdict.Missing => InteractionResult.InvalidReply,
        HolderVerdict.NoAnswer => InteractionResult.TimedOut,
        _ => InteractionResult.Refused,
    };

    /// <summary>Tells <paramref name="observer"/> how one exchange with <paramref name="peer"/> ended.</summary>
    public static void Report(IInteractionObserver observer, PeerId peer, string operation, InteractionResult result, long bytesSent, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(observer);
        observer.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, operation, result, bytesSent, 0, latency));
    }
}
