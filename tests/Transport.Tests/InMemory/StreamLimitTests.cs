using Overlay.Crypto;
using Overlay.Transport.Framing;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>A peer opening more streams than a connection allows, on frame-carried streams (TCP+TLS, in memory).</summary>
[Collection(DropCountingCollection.Name)]
public sealed class StreamLimitTests
{
    private const int Limit = 64;

    [Fact]
    public void StreamOpen_FiveThousandFromOnePeer_BeyondTheLimitAreResetCountedAndTheNodeServesOn()
    {
        using var counts = new DropCounter();
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(2))));
        var ids = new Random(12);
        var handler = new TestHandler();
        var server = net.CreateNode(PeerId.Random(ids), handler.Protocols, new TransportOptions { MaxStreamsPerConnection = Limit });
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            var connection = (MuxConnection)await client.DialAsync(listener.LocalAddress);
            var accepted = await listener.AcceptAsync();

            // One write of 5,000 stream opens, each for a protocol the node serves: a handler waits on each.
            var burst = new byte[5_000 * FrameHeader.Size];
            for (var i = 0; i < 5_000; i++)
            {
                new FrameHeader(FrameType.StreamOpen, FrameFlags.None, (uint)((2 * i) + 1), 0, TestProtocols.Control.Number).WriteTo(burst.AsSpan(i * FrameHeader.Size));
            }

            ((InMemoryLink)connection.Link).InjectRaw(burst);
            using (var response = await connection.RequestAsync(TestProtocols.Control, "after"u8.ToArray(), MessagePriority.High))
            {
                Assert.Equal(5, response.Payload.Length);
            }

            Assert.Equal(Limit, handler.StreamsServing);
            Assert.Equal(5_000 - Limit, counts.Get("stream_limit"));
            Assert.False(accepted.Closed.IsCancellationRequested);
            Assert.False(connection.Closed.IsCancellationRequested);
            await connection.CloseAsync();
        });
    }

    [Fact]
    public void OpenStream_BeyondThePeersLimit_TheExtraStreamsFailWithLimitExceeded()
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(2))));
        var ids = new Random(13);
        var server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, new TransportOptions { MaxStreamsPerConnection = 8 });
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = await client.DialAsync(listener.LocalAddress);
            var streams = new List<TransportStream>();
            for (var i = 0; i < 10; i++)
            {
                var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
                await stream.WriteAsync("E"u8.ToArray());
                streams.Add(stream);
            }

            // Eight are echoed; the ninth and tenth were reset as busy.
            for (var i = 0; i < 10; i++)
            {
                var stream = streams[i];
                if (i < 8)
                {
                    await stream.WriteAsync(new byte[] { (byte)i });
                    var echo = new byte[1];
                    Assert.Equal(1, await stream.ReadAsync(echo));
                    Assert.Equal(i, echo[0]);
                }
                else
                {
                    var ex = await Assert.ThrowsAsync<TransportException>(async () => _ = await stream.ReadAsync(new byte[1]));
                    Assert.Equal(TransportError.LimitExceeded, ex.Reason);
                }

                await stream.DisposeAsync();
            }
        });
    }

    [Theory]
    [InlineData(64 * 1024)]
    [InlineData(256 * 1024)]
    [InlineData(1024 * 1024)]
    public void OpenStream_ReceiverThatStopsReading_HoldsTheSenderAtItsConfiguredWindow(int window)
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(2))));
        var ids = new Random(14);
        var server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, new TransportOptions { StreamWindowBytes = window });
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        long written = 0;
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = await client.DialAsync(listener.LocalAddress);
            await using var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
            var writer = WriteForeverAsync(stream);

            // Long after every grant could have arrived, the sender still waits for credit.
            await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
            Assert.False(writer.IsCompleted);
            written = Volatile.Read(ref _written);
        });

        // Exactly the window: the initial 64 KiB plus the receiver's grant of the rest.
        Assert.Equal(window, written);

        async Task WriteForeverAsync(TransportStream stream)
        {
            // The first chunk starts with the mode byte, so whole chunks fill the window exactly.
            var chunk = new byte[4096];
            chunk[0] = (byte)'W';
            _written = 0;
            while (true)
            {
                await stream.WriteAsync(chunk);
                _written += chunk.Length;
            }
        }
    }

    private long _written;
}
