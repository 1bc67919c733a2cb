using System.Buffers;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Wire;
using Overlay.Transport;

namespace Overlay.Sim.Adversary;

/// <summary>
/// Wraps an honest node's request handler and notes every FIND_NODE and FIND_VALUE it serves (who asked,
/// for what), then serves it as usual: whether a lookup reached a given node is seen from that node's side.
/// </summary>
internal sealed class Witness(PeerId self, IProtocolHandler real, DhtOptions options, HashSet<(PeerId Served, PeerId From, PeerId Target)> seen) : IProtocolHandler
{
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        if (DhtMessageCodec.TryDecode(request.Span, options, out var message, out _) &&
            message.Type is DhtMessageType.FindNode or DhtMessageType.FindValue)
        {
            seen.Add((self, connection.RemotePeer, message.Target));
        }

        return real.HandleRequestAsync(connection, request, response, cancellationToken);
    }

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        real.HandleMessageAsync(connection, message, cancellationToken);

    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        real.HandleStreamAsync(connection, stream, cancellationToken);
}
