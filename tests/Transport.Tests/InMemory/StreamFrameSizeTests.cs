using System.Globalization;
using Overlay.Crypto;
using Overlay.Transport.Framing;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// A stream sender cuts its bytes into whole bulk frames: with credit left for less than a frame it
/// waits for the peer's next grant instead of sending the sliver on its own. Each simulated link write
/// is one bulk frame, so the network's event log shows the frame sizes.
/// </summary>
public sealed class StreamFrameSizeTests
{
    [Fact]
    public void Write_WithCreditForLessThanAFrame_WaitsForTheGrantRatherThanSendASliver()
    {
        const int total = 1 << 20;
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(1))), recordEvents: true);
        var ids = new Random(5);
        // Fixed 64 KiB windows: the credit left after each frame is the subject, and a growing window
        // (with the round-trip pings it sends) would change it.
        var fixedWindows = new TransportOptions { BulkStreamWindowMaxBytes = 64 << 10 };
        var server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, fixedWindows);
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, fixedWindows);
        var answer = new byte[40];
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = await client.DialAsync(listener.LocalAddress);
            await using var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
            await stream.WriteAsync("H"u8.ToArray());

            // One write: every frame but the last could be whole, whatever the credit does.
            await stream.WriteAsync(new byte[total]);
            await stream.CompleteWritesAsync();
            var got = 0;
            int n;
            while ((n = await stream.ReadAsync(answer.AsMemory(got))) > 0)
            {
                got += n;
            }
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(total, BitConverter.ToInt64(answer, 32));

        // Client (node 1) to server (node 0): the open, "H", the data frames, the last one and the end.
        var sizes = net.EventLog
            .Select(e => e.Split(' '))
            .Where(f => f[1] == "1->0" && f[2] == "Data")
            .Select(f => int.Parse(f[3], CultureInfo.InvariantCulture))
            .ToList();
        var whole = total / (InMemoryLink.SimulatedBulkFrameBytes - FrameHeader.Size);
        Assert.Equal(2 + whole + 2, sizes.Count);
        Assert.All(sizes.Skip(2).Take(whole), size => Assert.Equal(InMemoryLink.SimulatedBulkFrameBytes, size));
    }
}
