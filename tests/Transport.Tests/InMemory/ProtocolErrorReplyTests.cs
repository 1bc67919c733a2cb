using Overlay.Crypto;
using Overlay.Transport.Framing;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

[Collection(DropCountingCollection.Name)]
public sealed class ProtocolErrorReplyTests
{
    private static byte[] Frame(byte version, byte type)
    {
        var bytes = new byte[FrameHeader.Size + 3];
        new FrameHeader(FrameType.Message, FrameFlags.None, 0, 3).WriteTo(bytes);
        bytes[0] = version;
        bytes[1] = type;
        return bytes;
    }

    [Fact]
    public void UnknownType_IsAnsweredAndSkipped_UnknownVersion_IsAnsweredAndClosed()
    {
        using var counts = new DropCounter();
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(3))));
        var ids = new Random(61);
        var server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            var connection = (MuxConnection)await client.DialAsync(listener.LocalAddress);
            var accepted = await listener.AcceptAsync();
            var link = (InMemoryLink)connection.Link;

            link.InjectRaw(Frame(FrameHeader.CurrentVersion, 200));
            await Task.Delay(TimeSpan.FromMilliseconds(50), net.Clock);
            Assert.Equal(1, counts.Get("unknown_type"));
            Assert.Equal(1, counts.Get("remote_protocol_error")); // the client got the server's reply
            using (var r = await connection.RequestAsync(TestProtocols.Control, "ok"u8.ToArray(), MessagePriority.High))
            {
                Assert.Equal(2, r.Payload.Length);
            }

            link.InjectRaw(Frame(1, (byte)FrameType.Message)); // wire version 1: no protocol byte
            await Task.Delay(TimeSpan.FromMilliseconds(50), net.Clock);
            Assert.Equal(1, counts.Get("unsupported_version"));
            Assert.Equal(2, counts.Get("remote_protocol_error"));
            Assert.Equal(TransportError.ProtocolViolation, accepted.CloseReason);
            Assert.True(connection.Closed.IsCancellationRequested);
        });
    }
}
