using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// Control traffic never waits behind bulk traffic on one connection. On a 1 MB/s simulated link (5 ms
/// each way) a request sent while a large stream flows waits for at most one bulk frame, 16 KiB, about
/// 16 ms; the same stream opened on a control protocol shares the request's queue and delays it by
/// what is queued ahead, up to the stream's window (256 KiB here, about 260 ms). Virtual time makes both exact.
/// </summary>
public sealed class TrafficClassTests
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(5);
    private const long BytesPerSecond = 1_000_000;

    private static TimeSpan RoundTripBesideAStream(ProtocolId streamProtocol)
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(OneWay, BytesPerSecond: BytesPerSecond)));
        var ids = new Random(4);
        var server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, new TransportOptions { StreamWindowBytes = 256 << 10 });
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, new TransportOptions { RequestTimeout = TimeSpan.FromMinutes(1) });
        var roundTrip = TimeSpan.Zero;
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = await client.DialAsync(listener.LocalAddress);
            await using var stream = await connection.OpenStreamAsync(streamProtocol);
            await stream.WriteAsync("H"u8.ToArray());
            var transfer = SendAsync(stream, 2 << 20);

            // Let the stream fill its window and the sender's queue, then ask.
            await Task.Delay(TimeSpan.FromMilliseconds(500), net.Clock);
            Assert.False(transfer.IsCompleted);
            var sent = net.Clock.Elapsed;
            using (var response = await connection.RequestAsync(TestProtocols.Control, new byte[64], MessagePriority.High))
            {
                roundTrip = net.Clock.Elapsed - sent;
            }

            await transfer;
        }, TimeSpan.FromSeconds(60));
        return roundTrip;
    }

    private static async Task SendAsync(TransportStream stream, int total)
    {
        var chunk = new byte[64 * 1024];
        for (var sent = 0; sent < total; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk);
        }

        await stream.CompleteWritesAsync();
        var answer = new byte[40];
        while (await stream.ReadAsync(answer) > 0)
        {
        }
    }

    [Fact]
    public void Request_BesideABulkStream_WaitsForAtMostOneBulkFrame()
    {
        var roundTrip = RoundTripBesideAStream(TestProtocols.Bulk);

        // Two link delays, the request and answer themselves, and at most one 16 KiB bulk frame ahead.
        var oneBulkFrame = TimeSpan.FromTicks(InMemoryLink.SimulatedBulkFrameBytes * TimeSpan.TicksPerSecond / BytesPerSecond);
        Assert.InRange(roundTrip, 2 * OneWay, (2 * OneWay) + oneBulkFrame + TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Request_BesideTheSameStreamOnAControlProtocol_WaitsBehindItsQueuedBytes()
    {
        // The scheduling, not the link, is what protects the request: in the control queue it waits.
        var roundTrip = RoundTripBesideAStream(TestProtocols.Control);
        Assert.True(roundTrip > TimeSpan.FromMilliseconds(100), $"round trip {roundTrip.TotalMilliseconds} ms");
    }
}
