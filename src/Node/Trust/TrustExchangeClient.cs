using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The pulling side of <c>trust/1</c>: lists what a peer holds (INVENTORY, paged), asks for the records this node
/// lacks or holds older versions of (RECORDS, <see cref="TrustExchangeCodec.MaxRecordsPerRequest"/> at a time, with
/// the issuer's key only when this node has none), and offers each to the <see cref="TrustRecordCollection"/>.
/// </summary>
/// <remarks>
/// How the pull counts for the peer: a refusal (rate limit) is <see cref="InteractionResult.Refused"/>; an answer
/// that does not decode, or a record no honest relay would pass on (a bad signature, a swapped key, a malformed
/// or unnormalised row: the relay checked every record it holds), is <see cref="InteractionResult.InvalidReply"/>.
/// A record refused for this node's own view (an issuer without trust here, a version already held, a full
/// collection, age at the edge of the window) says nothing against the relay.
/// </remarks>
public static class TrustExchangeClient
{
    /// <summary>Most INVENTORY pages read in one pull (2,048 issuers each).</summary>
    public const int MaxInventoryPages = 16;

    /// <summary>Most records fetched in one pull: enough for a tenth of a 10,000-node network's hourly records per pull.</summary>
    public const int MaxRecordsPerPull = 1024;

    /// <summary>Pulls from the peer at the other end of <paramref name="connection"/>. Transport failures end the pull and are its result; it never throws for the peer's doing.</summary>
    public static async Task<TrustPullResult> PullAsync(
        ITransportConnection connection, TrustRecordCollection records, int maxRecordBytes, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(time);
        var pull = new Pull(connection, time);
        try
        {
            var wants = await ListAsync(pull, records, cancellationToken).ConfigureAwait(true);
            for (var at = 0; at < wants.Count && pull.Result == InteractionResult.Succeeded; at += TrustExchangeCodec.MaxRecordsPerRequest)
            {
                var batch = wants.GetRange(at, Math.Min(TrustExchangeCodec.MaxRecordsPerRequest, wants.Count - at));
                await FetchAsync(pull, batch, records, maxRecordBytes, cancellationToken).ConfigureAwait(true);
            }
        }
        catch (TransportException e)
        {
            pull.Result = e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable;
        }

        return pull.ToResult();
    }

    private static async Task<List<TrustRecordWant>> ListAsync(Pull pull, TrustRecordCollection records, CancellationToken cancellationToken)
    {
        var wants = new List<TrustRecordWant>();
        Crypto.PeerId? cursor = null;
        for (var page = 0; page < MaxInventoryPages; page++)
        {
            using var answer = await pull.AskAsync(TrustExchangeCodec.InventoryRequest(cursor), cancellationToken).ConfigureAwait(true);
            if (!pull.Accepts(answer.Payload.Span) || !TrustExchangeCodec.TryReadInventory(answer.Payload.Span, out var entries, out var more))
            {
                pull.Result = pull.Result == InteractionResult.Succeeded ? InteractionResult.InvalidReply : pull.Result;
                return [];
            }

            pull.Listed += entries.Length;
            foreach (var entry in entries)
            {
                if (wants.Count < MaxRecordsPerPull && records.Wants(entry.Issuer, entry.IssuedUnixMs))
                {
                    wants.Add(new TrustRecordWant(entry.Issuer, !records.HasKey(entry.Issuer)));
                }
            }

            if (!more || entries.Length == 0 || wants.Count >= MaxRecordsPerPull)
            {
                break;
            }

            cursor = entries[^1].Issuer;
        }

        return wants;
    }

    private static async Task FetchAsync(Pull pull, List<TrustRecordWant> batch, TrustRecordCollection records, int maxRecordBytes, CancellationToken cancellationToken)
    {
        using var answer = await pull.AskAsync(TrustExchangeCodec.RecordsRequest(batch), cancellationToken).ConfigureAwait(true);
        if (!pull.Accepts(answer.Payload.Span))
        {
            return;
        }

        if (!TrustExchangeCodec.TryReadRecords(answer.Payload, maxRecordBytes, out var deliveries) || deliveries.Length > batch.Count)
        {
            pull.Result = InteractionResult.InvalidReply;
            return;
        }

        var now = pull.Time.GetUtcNow();
        foreach (var delivery in deliveries)
        {
            pull.Fetched++;
            var verdict = records.TryAccept(delivery.Key.Span, delivery.Record.Span, now);
            if (verdict == TrustRecordRejection.None)
            {
                pull.Accepted++;
                continue;
            }

            pull.Refused++;
            if (IsTheRelaysFault(verdict))
            {
                pull.Result = InteractionResult.InvalidReply;
            }
        }
    }

    private static bool IsTheRelaysFault(TrustRecordRejection verdict) => verdict is not (
        TrustRecordRejection.UnknownIssuer or TrustRecordRejection.Replayed or TrustRecordRejection.BookFull
        or TrustRecordRejection.Expired or TrustRecordRejection.FromTheFuture or TrustRecordRejection.TooManyEntries
        or TrustRecordRejection.TooLarge or TrustRecordRejection.OwnRecord);

    private sealed class Pull(ITransportConnection connection, TimeProvider time)
    {
        private readonly long _started = time.GetTimestamp();

        public TimeProvider Time => time;

        public InteractionResult Result { get; set; } = InteractionResult.Succeeded;

        public int Listed { get; set; }

        public int Fetched { get; set; }

        public int Accepted { get; set; }

        public int Refused { get; set; }

        public long Sent { get; private set; }

        public long Received { get; private set; }

        public async Task<TransportResponse> AskAsync(byte[] request, CancellationToken cancellationToken)
        {
            Sent += request.Length;
            var answer = await connection.RequestAsync(ProtocolIds.Trust, request, MessagePriority.Normal, cancellationToken).ConfigureAwait(true);
            Received += answer.Payload.Length;
            return answer;
        }

        /// <summary>False (and the result set) when the answer is a refusal or has no status this node knows.</summary>
        public bool Accepts(ReadOnlySpan<byte> answer)
        {
            if (!TrustExchangeCodec.TryReadStatus(answer, out var status) || status == TrustExchangeStatus.Malformed)
            {
                // This node sends only well-formed requests: an answer calling one malformed is a bad answer.
                Result = InteractionResult.InvalidReply;
                return false;
            }

            if (status == TrustExchangeStatus.RateLimited)
            {
                Result = InteractionResult.Refused;
                return false;
            }

            return true;
        }

        public TrustPullResult ToResult() =>
            new(connection.RemotePeer, Result, Listed, Fetched, Accepted, Refused, Sent, Received, time.GetElapsedTime(_started));
    }
}
