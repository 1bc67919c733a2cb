using Overlay.Transport;

namespace Overlay.Node.Reachability;

/// <summary>The asking side of <c>reach/1</c>: one request on a connection, its answer and the clock skew it shows.</summary>
public static class ReachClient
{
    /// <summary>
    /// Asks the peer at the other end of <paramref name="connection"/> to dial <paramref name="announced"/> back,
    /// or, when null, only for its clock. Never throws for the peer's failures: they are the probe's <see cref="ReachProbe.Failure"/>.
    /// </summary>
    public static async Task<ReachProbe> AskAsync(ITransportConnection connection, TransportAddress? announced, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(time);
        var request = announced is null ? ReachCodec.TimeRequest() : ReachCodec.DialBackRequest(announced);
        var sent = time.GetUtcNow();
        var started = time.GetTimestamp();
        try
        {
            using var response = await connection.RequestAsync(ProtocolIds.Reach, request, MessagePriority.High, cancellationToken).ConfigureAwait(true);
            var rtt = time.GetElapsedTime(started);
            if (!ReachCodec.TryReadAnswer(response.Payload.Span, out var answer))
            {
                return new ReachProbe(connection.RemotePeer, null, "its answer did not decode", rtt.TotalMilliseconds, double.NaN);
            }

            var midpoint = sent + (rtt / 2);
            return new ReachProbe(connection.RemotePeer, answer, null, rtt.TotalMilliseconds, answer.PeerTimeUnixMs - midpoint.ToUnixTimeMilliseconds());
        }
        catch (TransportException e)
        {
            return new ReachProbe(connection.RemotePeer, null, $"{e.Reason}: {e.Message}", time.GetElapsedTime(started).TotalMilliseconds, double.NaN);
        }
    }
}
