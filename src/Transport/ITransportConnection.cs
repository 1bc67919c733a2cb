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
    /// Sends a request and waits for its response (bounded by the configured request timeout:
    /// <see cref="TransportError.Timeout"/>). The caller disposes the response.
    /// </summary>
    ValueTask<TransportResponse> RequestAsync(
        ReadOnlyMemory<byte> request, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a one-way message. Completes when the message is queued; waits only when the send
    /// queue is full (backpressure).
    /// </summary>
    ValueTask SendAsync(
        ReadOnlyMemory<byte> message, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default);

    /// <summary>Opens a flow-controlled bidirectional byte stream (shards and other bulk data).</summary>
    ValueTask<TransportStream> OpenStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes gracefully: tells the remote, sends what is queued, then releases the connection.
    /// In-flight requests fail with <see cref="TransportError.Closed"/>.
    /// </summary>
    ValueTask CloseAsync(CancellationToken cancellationToken = default);
}
