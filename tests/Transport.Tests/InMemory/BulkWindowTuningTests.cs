using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// Bulk streams' receive windows grow with the path's measured bandwidth-delay product, up to
/// <see cref="TransportOptions.BulkStreamWindowMaxBytes"/>; control streams and short paths keep
/// <see cref="TransportOptions.StreamWindowBytes"/>. On simulated links with set latency and rate.
/// </summary>
public sealed class BulkWindowTuningTests
{
    private const long LinkBytesPerSecond = 100_000_000 / 8;

    [Fact]
    public void BulkStream_OnALongFastPath_GrowsToTwoToFourBandwidthDelayProductsAndFinishesSooner()
    {
        var oneWay = TimeSpan.FromMilliseconds(50);
        var tuned = Transfer(oneWay, LinkBytesPerSecond, 16 << 20, Growing(), TestProtocols.Bulk);
        var fixedWindow = Transfer(oneWay, LinkBytesPerSecond, 16 << 20, new TransportOptions { BulkStreamWindowMaxBytes = 64 << 10 }, TestProtocols.Bulk);

        var bdp = LinkBytesPerSecond * 2 * oneWay.TotalSeconds;
        Assert.InRange(tuned.Window, 2 * bdp, 4 * bdp);
        Assert.Equal(64 << 10, fixedWindow.Window);

        // 16 MiB at one 64 KiB window per 100 ms round trip is 25.6 s; at the link's rate it is 1.3 s.
        Assert.True(fixedWindow.Elapsed > TimeSpan.FromSeconds(25), $"fixed: {fixedWindow.Elapsed}");
        Assert.True(tuned.Elapsed < TimeSpan.FromSeconds(4), $"tuned: {tuned.Elapsed}");
    }

    [Theory]
    [InlineData(128 * 1024)]
    [InlineData(512 * 1024)]
    public void BulkStream_WhenThePathWantsMore_StopsAtTheConfiguredMaximum(int max)
    {
        var result = Transfer(TimeSpan.FromMilliseconds(50), LinkBytesPerSecond, 8 << 20, new TransportOptions { BulkStreamWindowMaxBytes = max }, TestProtocols.Bulk);
        Assert.Equal(max, result.Window);
    }

    [Fact]
    public void BulkStream_OnAShortPath_KeepsTheInitialWindow()
    {
        // 20 µs round trips at 1 GB/s: 20 KB in flight fill the path, well inside 64 KiB.
        var result = Transfer(TimeSpan.FromMicroseconds(10), 1_000_000_000, 64 << 20, Growing(), TestProtocols.Bulk);
        Assert.Equal(64 << 10, result.Window);
    }

    [Fact]
    public void ControlStream_OnALongFastPath_KeepsTheInitialWindow()
    {
        var result = Transfer(TimeSpan.FromMilliseconds(50), LinkBytesPerSecond, 4 << 20, Growing(), TestProtocols.Control);
        Assert.Equal(64 << 10, result.Window);
    }

    [Fact]
    public void BulkStream_AfterAnotherGrewOnTheSameConnection_StartsAtThatWindow()
    {
        const int Bytes = 2 << 20;
        var oneWay = TimeSpan.FromMilliseconds(50);
        var net = Network(oneWay, LinkBytesPerSecond, out var server, out var client, Growing());
        var second = TimeSpan.Zero;
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = (MuxConnection)await client.DialAsync(listener.LocalAddress);
            var accepted = (MuxConnection)await listener.AcceptAsync();
            await SendAsync(connection, TestProtocols.Bulk, 8 << 20);
            Assert.True(accepted.BulkWindows.Window >= Bytes);

            var start = net.Clock.GetTimestamp();
            await SendAsync(connection, TestProtocols.Bulk, Bytes);
            second = net.Clock.GetElapsedTime(start);
        });

        // The same bytes as the first stream of a new connection, which starts at 64 KiB and doubles.
        var first = Transfer(oneWay, LinkBytesPerSecond, Bytes, Growing(), TestProtocols.Bulk).Elapsed;

        // Serialising 2 MiB takes 168 ms; the learned window sends them in the first round trip.
        Assert.True(second < TimeSpan.FromMilliseconds(168) + (2.5 * 2 * oneWay), $"second stream: {second}");
        Assert.True(second < first * 0.75, $"second stream {second}, first of a new connection {first}");
    }

    [Fact]
    public void RoundTrip_OnASimulatedLink_IsMeasuredFromTheConnectionsOwnPings()
    {
        var net = Network(TimeSpan.FromMilliseconds(30), 0, out var server, out var client, Growing());
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = (MuxConnection)await client.DialAsync(listener.LocalAddress);
            // No sampler (and no timed ping) until the connection's first bulk stream.
            Assert.Null(connection.BulkWindows.RoundTrip);
            await SendAsync(connection, TestProtocols.Bulk, 1 << 20);
            await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
            Assert.Equal(TimeSpan.FromMilliseconds(60), connection.BulkWindows.RoundTrip!.MinRtt);
        });
    }

    /// <summary>Bulk windows that may grow to 16 MiB (the default).</summary>
    private static TransportOptions Growing() => new() { BulkStreamWindowMaxBytes = 16 << 20 };

    private static (int Window, TimeSpan Elapsed) Transfer(TimeSpan oneWay, long bytesPerSecond, int bytes, TransportOptions serverOptions, ProtocolId protocol)
    {
        var net = Network(oneWay, bytesPerSecond, out var server, out var client, serverOptions);
        var window = 0;
        var elapsed = TimeSpan.Zero;
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            await using var connection = await client.DialAsync(listener.LocalAddress);
            var accepted = (MuxConnection)await listener.AcceptAsync();
            var start = net.Clock.GetTimestamp();
            if (protocol.Class == TrafficClass.Bulk)
            {
                await SendAsync(connection, protocol, bytes);
                window = accepted.BulkWindows.Window;
            }
            else
            {
                // The client receives: an echo of what it sends, read as it comes back.
                window = await EchoAsync(connection, protocol, bytes);
            }

            elapsed = net.Clock.GetElapsedTime(start);
        });
        return (window, elapsed);
    }

    private static InMemoryNetwork Network(TimeSpan oneWay, long bytesPerSecond, out InMemoryTransport server, out InMemoryTransport client, TransportOptions serverOptions)
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(oneWay, BytesPerSecond: bytesPerSecond)));
        var ids = new Random(21);
        server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, serverOptions);
        client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, Growing());
        return net;
    }

    /// <summary>Sends <paramref name="bytes"/> to the server's hashing mode and waits for its count.</summary>
    private static async Task SendAsync(ITransportConnection connection, ProtocolId protocol, int bytes)
    {
        await using var stream = await connection.OpenStreamAsync(protocol);
        await stream.WriteAsync("H"u8.ToArray());
        var chunk = new byte[64 * 1024];
        for (var sent = 0; sent < bytes; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, bytes - sent)));
        }

        await stream.CompleteWritesAsync();
        var answer = new byte[40];
        var read = 0;
        int n;
        while ((n = await stream.ReadAsync(answer.AsMemory(read))) > 0)
        {
            read += n;
        }

        Assert.Equal(bytes, BitConverter.ToInt64(answer, 32));
    }

    /// <summary>Echoes <paramref name="bytes"/> through the server; returns the client's receive window at the end.</summary>
    private static async Task<int> EchoAsync(ITransportConnection connection, ProtocolId protocol, int bytes)
    {
        await using var stream = await connection.OpenStreamAsync(protocol);
        await stream.WriteAsync("E"u8.ToArray());
        var writer = WriteAllAsync(stream, bytes);
        var buffer = new byte[64 * 1024];
        long received = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            received += n;
        }

        await writer;
        Assert.Equal(bytes, received);
        return ((MuxStream)stream).ReceiveWindow;

        static async Task WriteAllAsync(TransportStream stream, int bytes)
        {
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < bytes; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, bytes - sent)));
            }

            await stream.CompleteWritesAsync();
        }
    }
}
