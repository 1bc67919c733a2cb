using BenchmarkDotNet.Attributes;
using Overlay.Transport;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// Loopback TCP+TLS between two nodes in this process (<see cref="QuicTransportBenchmarks"/>: the
/// same over QUIC). Messages/s = 1e9 / (ns per message); connection set-up includes connecting and
/// the mutual TLS 1.3 handshake with identity binding.
/// </summary>
[MemoryDiagnoser]
public class TransportBenchmarks
{
    private const int MessagesPerInvoke = 20_000;
    private static readonly byte[] Payload = new byte[64];
    private static readonly byte[] Chunk = new byte[256 * 1024];

    private LoopbackPair _pair = null!;
    private long _sent;

    /// <summary>Batched: 10 ms window, 64 KiB batches. Unbatched: window 0, one write per frame.</summary>
    [Params(true, false)]
    public bool Batched { get; set; }

    /// <summary>The transport under measurement.</summary>
    protected virtual TransportScheme Scheme => TransportScheme.Tcp;

    [GlobalSetup]
    public void Setup()
    {
        var options = new TransportOptions
        {
            BatchWindow = Batched ? TimeSpan.FromMilliseconds(10) : TimeSpan.Zero,
            MaxConnectionsPerAddress = 100_000,
            RequestTimeout = TimeSpan.FromMinutes(1),
        };
        _pair = LoopbackPair.StartAsync(options, scheme: Scheme).GetAwaiter().GetResult();
        _sent = 0;
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public async Task OneWayMessage64B()
    {
        var connection = _pair.Connection;
        for (var i = 0; i < MessagesPerInvoke; i++)
        {
            await connection.SendAsync(BenchProtocols.Control, Payload);
        }

        _sent += MessagesPerInvoke;

        // The last batch leaves at the window at the latest; wait until the peer has them all.
        await _pair.ServerHandler.WaitForMessagesAsync(_sent);
    }

    [Benchmark]
    public async Task RequestRoundTrip64B()
    {
        using var response = await _pair.Connection.RequestAsync(BenchProtocols.Control, Payload, MessagePriority.High);
    }

    [Benchmark]
    public async Task ConnectWithHandshake()
    {
        await using var connection = await _pair.Client.DialAsync(_pair.ServerAddress);
    }

    [Benchmark]
    public Task<long> BulkStream100MB() => BulkTransfer.SendAsync(_pair.Connection, Chunk, 100L * 1024 * 1024);
}
