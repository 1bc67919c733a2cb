using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// The byte pipe under a <see cref="MuxConnection"/>: a TLS stream, a QUIC stream or a simulated
/// link. It carries whole batches of encoded frames in order; inbound bytes are pushed into
/// <see cref="MuxConnection.ProcessInbound"/> by the link's owner.
/// </summary>
internal interface IFrameLink
{
    /// <summary>Writes encoded frames; completes when the link has taken them (backpressure).</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken);

    /// <summary>Ends the link after everything written so far has left (graceful close).</summary>
    ValueTask ShutdownAsync();

    /// <summary>
    /// The largest bulk frame this link is given, header included, at most
    /// <see cref="FrameHeader.BulkFrameBytes"/>: the most a control frame waits for in the sender's
    /// queues once a bulk frame is being written.
    /// </summary>
    int BulkFrameBytes => FrameHeader.BulkFrameBytes;

    /// <summary>Tears the link down at once; idempotent.</summary>
    void Abort();

    /// <summary>
    /// What a failed write says about the remote: by default that it is gone. A link whose
    /// failures carry the peer's own close reason (a QUIC application error code) says more.
    /// </summary>
    TransportError FaultReason(Exception fault) => TransportError.PeerUnreachable;
}
