using System.Buffers;
using Overlay.Node.Hosting;
using Overlay.Transport;

namespace Overlay.Node.Tests;

public sealed class NodeInboundHandlerTests
{
    [Fact]
    public async Task Request_EmptyIsTheLivenessProbe_OthersGoToTheDhtOnceAttached()
    {
        var handler = new NodeInboundHandler();
        var dht = new RecordingHandler();
        var response = new ArrayBufferWriter<byte>();

        await handler.HandleRequestAsync(null!, ReadOnlyMemory<byte>.Empty, response, TestContext.Current.CancellationToken);
        Assert.Equal(0, response.WrittenCount);
        var refused = await Assert.ThrowsAsync<TransportException>(() => handler.HandleRequestAsync(null!, new byte[] { 1 }, response, TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(TransportError.ProtocolViolation, refused.Reason);

        handler.AttachDht(dht);
        await handler.HandleRequestAsync(null!, new byte[] { 7, 8 }, response, TestContext.Current.CancellationToken);
        await handler.HandleRequestAsync(null!, ReadOnlyMemory<byte>.Empty, response, TestContext.Current.CancellationToken);
        Assert.Equal([7, 8], Assert.Single(dht.Requests));

        handler.DetachDht();
        await Assert.ThrowsAsync<TransportException>(() => handler.HandleRequestAsync(null!, new byte[] { 1 }, response, TestContext.Current.CancellationToken).AsTask());
    }

    private sealed class RecordingHandler : IInboundHandler
    {
        public List<byte[]> Requests { get; } = [];

        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            Requests.Add(request.ToArray());
            return ValueTask.CompletedTask;
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
