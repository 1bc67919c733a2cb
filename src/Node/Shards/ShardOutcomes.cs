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

    /// <summary>Operation name of a fetch of a shard from a holder.</summary>
    public const string Fetch = "fetch";

    /// <summary>
    /// Tells <paramref name="observer"/> how each holder asked during one fetch did: the one that sent the shard
    /// succeeded (with the fetch's <paramref name="latency"/>); one that broke off sent nothing usable
    /// (<see cref="InteractionResult.Unreachable"/>); one that does not have the shard refused (a fetch also asks
    /// peers that were never given it). Bytes that do not hash to the id are an invalid reply only when they came
    /// from that holder alone: when every holder asked before it sent nothing, or bytes that were thrown away.
    /// </summary>
    public static void ReportFetch(IInteractionObserver observer, IReadOnlyList<HolderAttempt> attempts, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(attempts);
        var alone = true;
        foreach (var attempt in attempts)
        {
            InteractionResult? result = attempt.Refusal switch
            {
                ShardRefusal.None => InteractionResult.Succeeded,
                ShardRefusal.Mismatch => alone ? InteractionResult.InvalidReply : null,
                ShardRefusal.Failed => InteractionResult.Unreachable,
                ShardRefusal.NotFound or ShardRefusal.Quota or ShardRefusal.Rate or ShardRefusal.Unwilling or ShardRefusal.Size => InteractionResult.Refused,
                _ => InteractionResult.InvalidReply,
            };
            // A holder that broke off may have sent part of the shard, which the next one continued.
            alone = attempt.Refusal is not ShardRefusal.Failed;
            if (result is { } r)
            {
                observer.Observe(new InteractionOutcome(attempt.Peer, ProtocolIds.Shard, Fetch, r, 0, 0, r == InteractionResult.Succeeded ? latency : TimeSpan.Zero));
            }
        }
    }

    /// <summary>Tells <paramref name="observer"/> how one exchange with <paramref name="peer"/> ended.</summary>
    public static void Report(IInteractionObserver observer, PeerId peer, string operation, InteractionResult result, long bytesSent, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(observer);
        observer.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, operation, result, bytesSent, 0, latency));
    }
}
