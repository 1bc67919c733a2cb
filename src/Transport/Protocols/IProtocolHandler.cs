using System.Buffers;

namespace Overlay.Transport;

/// <summary>
/// Serves what remote peers send one protocol (<c>dht/1</c>, <c>ping/1</c>, …). The layer that owns
/// the protocol implements it and registers it with the node's <see cref="ProtocolDispatcher"/>; the
/// transport calls it for dialled and accepted connections alike, only for frames and streams that
/// name that protocol.
/// </summary>
public interface IProtocolHandler
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
    /// Serves a stream the remote opened. The stream is disposed after the returned task completes;
    /// one the handler left unread is reset, so the opener learns it was not taken.
    /// </summary>
    ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken);
}
