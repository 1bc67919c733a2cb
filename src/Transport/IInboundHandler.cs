using System.Buffers;

namespace Overlay.Transport;

/// <summary>
/// Serves what remote peers send on any connection of a transport. The layer above (the DHT
/// service, the shard exchange) implements it; the transport calls it for dialled and accepted
/// connections alike.
/// </summary>
public interface IInboundHandler
{
    /// <summary>
    /// Answers a request by writing the response into <paramref name="response"/>.
    /// <paramref name="request"/> is valid only until the returned task completes. Throwing sends
    /// the requester a <see cref="TransportError.RemoteError"/>.
    /// </summary>
    ValueTask HandleRequestAsync(
        ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken);

    /// <summary>Receives a one-way message, valid only until the returned task completes.</summary>
    ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>
    /// Serves a stream the remote opened. The stream is disposed after the returned task completes.
    /// </summary>
    ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken);
}
