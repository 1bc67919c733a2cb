using Overlay.Crypto;
using Overlay.Transport.Mux;
using Overlay.Transport.Tests.Contract;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Tls;

/// <summary>Over TCP+TLS on loopback bulk windows stay fixed: there is no path for them to fill.</summary>
public sealed class LoopbackWindowTests
{
    [Fact]
    public async Task BulkStream_OverLoopback_KeepsTheInitialWindowAndSendsNoRoundTripProbes()
    {
        var random = new Random(51);
        using var a = NodeIdentity.FromRandom(random);
        using var b = NodeIdentity.FromRandom(random);
        var growing = new TransportOptions { BulkStreamWindowMaxBytes = 16 << 20 };
        await using var server = new TcpTlsTransport(a, new TestHandler().Protocols, growing);
        await using var client = new TcpTlsTransport(b, new TestHandler().Protocols, growing);
        var address = (await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"))).LocalAddress;
        await using var connection = (MuxConnection)await client.DialAsync(address).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(connection.BulkWindows.Tunes);

        await using var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
        await stream.WriteAsync("E"u8.ToArray());
        var chunk = new byte[64 * 1024];
        var echo = new byte[64 * 1024];
        for (var i = 0; i < 64; i++)
        {
            await stream.WriteAsync(chunk);
            var got = 0;
            while (got < chunk.Length)
            {
                got += await stream.ReadAsync(echo.AsMemory(got)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        Assert.Equal(64 * 1024, ((MuxStream)stream).ReceiveWindow);
        Assert.Equal(0, connection.BulkWindows.RoundTrip?.Samples ?? 0);
    }
}
