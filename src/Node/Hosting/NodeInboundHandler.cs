using System.Buffers;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// Serves what peers send this node. An empty request is the liveness probe behind
/// <c>overlay ping</c> and is answered with an empty response; protocols above the transport
/// register here as they are added.
/// </summary>
public sealed class NodeInboundHandler : IInboundHandler
{
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        if (request.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        // The transport answers the requester with a RemoteError and keeps the connection.
        throw new TransportException(TransportError.ProtocolViolation, "This node serves no protocol for that request.");
    }

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
