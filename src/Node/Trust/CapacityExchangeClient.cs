using Overlay.Crypto;
using Overlay.Placement.Capacity;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// Asks a peer for its own capacity record over <c>trust/1</c> (CAPACITY), with its identity key when this node has
/// none, and offers the answer to the <see cref="CapacityBook"/>.
/// </summary>
/// <remarks>
/// How the ask counts for the peer: a refusal (rate limit, nothing to offer yet, or a peer of an older version that
/// calls the request malformed) is <see cref="InteractionResult.Refused"/>; an answer that does not decode, or a record
/// that names someone else, is malformed, carries a key not its own or does not verify, is
/// <see cref="InteractionResult.InvalidReply"/> (the peer signs its own record; nobody else is to blame). A record at
/// the edge of the clocks' agreement (expired, from the future) is a refusal.
/// </remarks>
public static class CapacityExchangeClient
{
    /// <summary>Asks the peer at the other end of <paramref name="connection"/>; transport failures are the result, never thrown.</summary>
    public static async Task<CapacityPullResult> PullAsync(ITransportConnection connection, CapacityBook book, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        var peer = connection.RemotePeer;
        var request = CapacityExchangeCodec.Request(wantKey: !book.HasKey(peer));
        InteractionResult result;
        var verdict = CapacityRecordRejection.None;
        long received = 0;
        try
        {
            using var answer = await connection.RequestAsync(ProtocolIds.Trust, request, MessagePriority.Normal, cancellationToken).ConfigureAwait(true);
            received = answer.Payload.Length;
            (result, verdict) = Judge(peer, answer.Payload, book, time.GetUtcNow());
        }
        catch (TransportException e)
        {
            result = e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable;
        }

        return new CapacityPullResult(peer, result, verdict, request.Length, received, time.GetElapsedTime(started));
    }

    private static (InteractionResult, CapacityRecordRejection) Judge(PeerId peer, ReadOnlyMemory<byte> answer, CapacityBook book, DateTimeOffset now)
    {
        if (!TrustExchangeCodec.TryReadStatus(answer.Span, out var status))
        {
            return (InteractionResult.InvalidReply, CapacityRecordRejection.None);
        }

        if (status != TrustExchangeStatus.Ok)
        {
            return (InteractionResult.Refused, CapacityRecordRejection.None);
        }

        if (!CapacityExchangeCodec.TryReadAnswer(answer, out var key, out var record))
        {
            book.Reject(CapacityRecordRejection.Truncated);
            return (InteractionResult.InvalidReply, CapacityRecordRejection.Truncated);
        }

        var verdict = book.TryAccept(peer, key.Span, record.Span, now);
        var result = verdict switch
        {
            CapacityRecordRejection.None or CapacityRecordRejection.Replayed => InteractionResult.Succeeded,
            CapacityRecordRejection.Expired or CapacityRecordRejection.FromTheFuture => InteractionResult.Refused,
            _ => InteractionResult.InvalidReply,
        };
        return (result, verdict);
    }
}
