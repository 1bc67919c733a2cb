using System.Buffers;
using Overlay.Transport;

namespace Overlay.Node.Trust;

/// <summary>
/// The serving side of <c>trust/1</c> (<see cref="ProtocolIds.Trust"/>): INVENTORY lists the records this node
/// holds (its own and those it collected and checked), RECORDS sends the ones asked for, each with the issuer's
/// identity key when the asker wants it. Each peer may draw <c>Placement:TrustServeBytesPerPeerPerHour</c> bytes
/// of answers an hour (<see cref="TrustServeBudget"/>); past it, and for a request that does not decode, the answer
/// is a status alone, counted. A RECORDS answer stops before it would pass <paramref name="maxAnswerBytes"/>; the
/// asker asks again for the rest. CAPACITY sends this node's own signed capacity record
/// (<see cref="OwnCapacityRecord"/>), with its key when asked.
/// </summary>
/// <param name="records">What this node holds.</param>
/// <param name="budget">Each peer's share of answers.</param>
/// <param name="metrics">Where requests are counted.</param>
/// <param name="maxAnswerBytes">The largest answer sent (below the transport's frame limit).</param>
/// <param name="capacity">This node's capacity record.</param>
internal sealed class TrustExchangeHandler(
    TrustRecordCollection records, TrustServeBudget budget, TrustExchangeMetrics metrics, int maxAnswerBytes, OwnCapacityRecord capacity) : IProtocolHandler
{
    /// <inheritdoc/>
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var peer = connection.RemotePeer;
        if (!budget.TryAdmit(peer))
        {
            TrustExchangeCodec.WriteStatus(response, TrustExchangeStatus.RateLimited);
            metrics.Served(TrustExchangeStatus.RateLimited, 1);
            return ValueTask.CompletedTask;
        }

        var bytes = request.Span;
        int written;
        if (TrustExchangeCodec.TryReadInventoryRequest(bytes, out var after))
        {
            var entries = records.Inventory(after, TrustExchangeCodec.MaxInventoryEntries, out var more);
            TrustExchangeCodec.WriteInventory(response, entries, more);
            written = 4 + (entries.Count * 40);
        }
        else if (TrustExchangeCodec.TryReadRecordsRequest(bytes, out var wants))
        {
            written = AnswerRecords(wants, response);
        }
        else if (CapacityExchangeCodec.TryReadRequest(bytes, out var wantKey))
        {
            if (!capacity.TryGet(out var record))
            {
                TrustExchangeCodec.WriteStatus(response, TrustExchangeStatus.Unavailable);
                budget.Charge(peer, 1);
                metrics.Served(TrustExchangeStatus.Unavailable, 1);
                return ValueTask.CompletedTask;
            }

            written = CapacityExchangeCodec.WriteAnswer(response, wantKey ? capacity.Key.Encoded : ReadOnlySpan<byte>.Empty, record);
        }
        else
        {
            TrustExchangeCodec.WriteStatus(response, TrustExchangeStatus.Malformed);
            budget.Charge(peer, 1);
            metrics.Served(TrustExchangeStatus.Malformed, 1);
            return ValueTask.CompletedTask;
        }

        budget.Charge(peer, written);
        metrics.Served(TrustExchangeStatus.Ok, written);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private int AnswerRecords(TrustRecordWant[] wants, IBufferWriter<byte> response)
    {
        var deliveries = new List<TrustRecordDelivery>(wants.Length);
        var size = 2;
        foreach (var want in wants)
        {
            if (!records.TryGet(want.Issuer, out var encoded, out var key))
            {
                continue;
            }

            var keyBytes = want.WantKey && key is not null ? key.Encoded.ToArray() : [];
            var grows = TrustExchangeCodec.DeliverySize(keyBytes.Length, encoded.Length);
            if (size + grows > maxAnswerBytes)
            {
                break;
            }

            size += grows;
            deliveries.Add(new TrustRecordDelivery(keyBytes, encoded));
        }

        TrustExchangeCodec.WriteRecords(response, deliveries);
        return size;
    }
}
