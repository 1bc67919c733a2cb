using System.Buffers;
using Overlay.Crypto;
using Overlay.Node.Hosting;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests;

/// <summary>The node's protocols as a peer sees them over a real (in-memory) connection.</summary>
public sealed class NodeProtocolsTests
{
    [Fact]
    public void Create_PingIsServedAtOnce_DhtIsUnavailableUntilAttachedAndAfterDetached()
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1);
        var ids = new Random(3);
        var protocols = NodeProtocols.Create();
        var node = net.CreateNode(PeerId.Random(ids), protocols);
        var peer = net.CreateNode(PeerId.Random(ids), new ProtocolDispatcher());
        var dht = new RecordingHandler();
        net.Run(async () =>
        {
            var listener = await node.ListenAsync(node.Host);
            await using var connection = await peer.DialAsync(listener.LocalAddress);

            using (var pong = await connection.RequestAsync(ProtocolIds.Ping, ReadOnlyMemory<byte>.Empty, MessagePriority.High))
            {
                Assert.Equal(0, pong.Payload.Length);
            }

            // Not started: a typed answer, and the connection stays open.
            var early = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(ProtocolIds.Dht, new byte[] { 1 }, cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(TransportError.Unavailable, early.Reason);

            protocols.Attach(ProtocolIds.Dht, dht);
            using (var served = await connection.RequestAsync(ProtocolIds.Dht, new byte[] { 7, 8 }))
            {
                Assert.Equal([9], served.Payload.ToArray());
            }

            protocols.Detach(ProtocolIds.Dht);
            var late = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(ProtocolIds.Dht, new byte[] { 1 }, cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(TransportError.Unavailable, late.Reason);

            // A protocol the node never registered.
            var unknown = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(new ProtocolId(77, "nothing/1", TrafficClass.Control), new byte[] { 1 }, cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(TransportError.UnsupportedProtocol, unknown.Reason);

            using var still = await connection.RequestAsync(ProtocolIds.Ping, ReadOnlyMemory<byte>.Empty);
            Assert.False(connection.Closed.IsCancellationRequested);
        });

        Assert.Equal([7, 8], Assert.Single(dht.Requests));
    }

    private sealed class RecordingHandler : IProtocolHandler
    {
        public List<byte[]> Requests { get; } = [];

        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            Requests.Add(request.ToArray());
            response.Write<byte>([9]);
            return ValueTask.CompletedTask;
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
