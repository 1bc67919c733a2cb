using System.Buffers;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// Serves what peers send this node over its one transport. An empty request is the liveness probe
/// behind <c>overlay ping</c> and is answered with an empty response; any other request is a DHT
/// message and goes to the DHT's request handler once the DHT has started.
/// </summary>
public sealed class NodeInboundHandler : IInboundHandler
{
    private volatile IInboundHandler? _dht;

    /// <summary>Routes DHT requests to <paramref name="dht"/> from now on.</summary>
    public void AttachDht(IInboundHandler dht)
    {
        ArgumentNullException.ThrowIfNull(dht);
        _dht = dht;
    }

    /// <summary>Stops routing DHT requests (the DHT is stopping); they are refused as before it started.</summary>
    public void DetachDht() => _dht = null;

    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        if (request.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        if (_dht is { } dht)
        {
            return dht.HandleRequestAsync(connection, request, response, cancellationToken);
        }

        // The transport answers the requester with a RemoteError and keeps the connection.
        throw new TransportException(TransportError.ProtocolViolation, "This node serves no protocol for that request yet.");
    }

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
