using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.Tls;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// FIND_NODE requests served by one node over loopback TCP+TLS: the server runs the real
/// <see cref="DhtRequestHandler"/> over a routing table of 2,000 contacts; one client connection keeps
/// <see cref="InFlight"/> requests outstanding, sent with the priority the DHT's own RPC adapter uses.
/// Requests/s = 1e9 / (ns per request).
/// </summary>
[MemoryDiagnoser]
public class DhtServeBenchmarks
{
    internal const int RequestsPerInvoke = 8_192;
    private readonly NodeIdentity _serverIdentity = NodeIdentity.Generate();
    private readonly NodeIdentity _clientIdentity = NodeIdentity.Generate();
    private TcpTlsTransport _server = null!;
    private TcpTlsTransport _client = null!;
    private ITransportConnection _connection = null!;
    private byte[][] _requests = null!;

    [Params(64, 512)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 };
        var now = DateTimeOffset.UtcNow;
        var random = new Random(1);
        var table = new RoutingTable(_serverIdentity.PeerId, options, now);
        for (var i = 0; i < 2000; i++)
        {
            table.Observe(PeerId.Random(random), new NetworkGroup((ulong)(i + 1)), now, 50, $"tcp://10.{i >> 8}.{i & 255}.1:4001");
        }

        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        // The one client here is one peer; a real node's limit would answer it with RATE_LIMITED errors
        // after the burst, so the limiter runs on its usual path with a budget this run cannot exhaust.
        var unlimited = new DhtOptions { MaxRequestsPerPeerPerSecond = 1e9, RequestBurstPerPeer = int.MaxValue };
        var handler = new DhtRequestHandler(table, store, new PeerRateLimiter(unlimited), options, TimeProvider.System,
            new DhtMetrics(new System.Diagnostics.Metrics.Meter("Overlay.Benchmarks.Dht")), () => (default, 1.0));
        var transportOptions = new TransportOptions { RequestTimeout = TimeSpan.FromMinutes(1), MaxConcurrentRequests = 4096 };
        _server = new TcpTlsTransport(_serverIdentity, new ProtocolDispatcher(ProtocolIds.Dht, handler), transportOptions);
        _client = new TcpTlsTransport(_clientIdentity, new ProtocolDispatcher(), transportOptions);
        var listener = _server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0")).AsTask().GetAwaiter().GetResult();
        _connection = _client.DialAsync(listener.LocalAddress).AsTask().GetAwaiter().GetResult();
        _requests = FindNodeRequests.Create(256, random);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _serverIdentity.Dispose();
        _clientIdentity.Dispose();
    }

    [Benchmark(OperationsPerInvoke = RequestsPerInvoke)]
    public async Task FindNodeServed()
    {
        var workers = new Task[InFlight];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = WorkerAsync(w, RequestsPerInvoke / InFlight);
        }

        await Task.WhenAll(workers);
    }

    private async Task WorkerAsync(int worker, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await _connection.RequestAsync(ProtocolIds.Dht, _requests[(worker + i) & 255], TransportDhtRpc.RequestPriority);
            // Only a full NODES answer counts; an ERROR reply (rate limited, malformed) would be cheaper than the real thing.
            var payload = response.Payload.Span;
            if (payload.Length < DhtMessageCodec.ResponseHeaderLength + 2 || payload[1] != (byte)DhtMessageType.Nodes || payload[DhtMessageCodec.ResponseHeaderLength + 1] != 20)
            {
                throw new InvalidOperationException("The server did not answer with 20 contacts.");
            }
        }
    }
}
