using Overlay.Crypto;

namespace Overlay.Transport;

/// <summary>
/// An authenticated connection to one peer carrying requests, one-way messages and bulk streams.
/// All members are safe to call concurrently. Failures throw <see cref="TransportException"/>;
/// cancellation throws <see cref="OperationCanceledException"/>.
/// </summary>
public interface ITransportConnection : IAsyncDisposable
{
    /// <summary>The identity the remote proved during the handshake.</summary>
    PeerId RemotePeer { get; }

    /// <summary>The remote's address (for a dialled connection, the address dialled).</summary>
    TransportAddress RemoteAddress { get; }

    /// <summary>True when this side dialled.</summary>
    bool IsInitiator { get; }

    /// <summary>Cancelled once the connection is closed for any reason.</summary>
    CancellationToken Closed { get; }

    /// <summary>Why the connection closed, once <see cref="Closed"/> is cancelled; otherwise null.</summary>
    TransportError? CloseReason { get; }

    /// <summary>Requests plus streams in flight; a pool treats a connection with none as idle.</summary>
    int ActiveOperations { get; }

    /// <summary>
    /// The <see cref="TimeProvider"/> timestamp of the last application frame (request, response,
    /// message, stream data) sent or received; keep-alives do not count.
    /// </summary>
    long LastActivityTimestamp { get; }

    /// <summary>
    /// Sends a request for <paramref name="protocol"/> (a control protocol) and waits for its response,
    /// bounded by the configured request timeout (<see cref="TransportError.Timeout"/>). The caller
    /// disposes the response. A peer that does not serve the protocol answers
    /// <see cref="TransportError.UnsupportedProtocol"/>; one whose protocol has not started,
    /// <see cref="TransportError.Unavailable"/>; one at its limit, <see cref="TransportError.LimitExceeded"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="protocol"/> is a bulk protocol (streams only).</exception>
    ValueTask<TransportResponse> RequestAsync(
        ProtocolId protocol, ReadOnlyMemory<byte> request, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a one-way message for <paramref name="protocol"/> (a control protocol). Completes when
    /// the message is queued; waits only when the send queue is full (backpressure). A peer that
    /// cannot serve it drops it (and counts it): a sender that must know uses a request.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="protocol"/> is a bulk protocol (streams only).</exception>
    ValueTask SendAsync(
        ProtocolId protocol, ReadOnlyMemory<byte> message, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a flow-controlled bidirectional byte stream for <paramref name="protocol"/> (shards and other
    /// bulk data). A peer that refuses it resets it: the first read or write then fails with the typed reason.
    /// </summary>
    ValueTask<TransportStream> OpenStreamAsync(ProtocolId protocol, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps the connection under keep-alive while nothing is in flight, until the returned lease is
    /// disposed: for a connection whose close the caller relies on to learn that the peer went silent.
    /// Otherwise an idle connection sends no keep-alives (docs/TRANSPORT.md, "Idle connections and
    /// keep-alive"). Silence counts from this call at the earliest; leases may overlap.
    /// </summary>
    IDisposable KeepWatched();

    /// <summary>True while a <see cref="KeepWatched"/> lease is held: the caller relies on this connection, so a pool does not trim it.</summary>
    bool IsKeptWatched { get; }

    /// <summary>
    /// Closes gracefully: tells the remote, sends what is queued, then releases the connection.
    /// In-flight requests fail with <see cref="TransportError.Closed"/>.
    /// </summary>
    ValueTask CloseAsync(CancellationToken cancellationToken = default);
}
