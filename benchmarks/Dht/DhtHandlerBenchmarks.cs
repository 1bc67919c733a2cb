using System.Buffers;
using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// The server's share of one FIND_NODE without the transport: <see cref="DhtRequestHandler.Serve"/> over
/// a routing table built from 2,000 contacts, answering into a reused buffer writer. The sender is a
/// known contact repeating its address, as almost every request is (256 senders in turn).
/// </summary>
[MemoryDiagnoser]
public class DhtHandlerBenchmarks
{
    private readonly ArrayBufferWriter<byte> _response = new(4096);
    private DhtRequestHandler _handler = null!;
    private byte[][] _requests = null!;
    private PeerId[] _senders = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var options = new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536, MaxRequestsPerPeerPerSecond = 10_000, RequestBurstPerPeer = 100_000 };
        var now = DateTimeOffset.UtcNow;
        var random = new Random(1);
        var self = PeerId.Random(random);
        var table = new RoutingTable(self, options, now);
        for (var i = 0; i < 2000; i++)
        {
            table.Observe(PeerId.Random(random), new NetworkGroup((ulong)(i + 1)), now, 50, $"tcp://10.{i >> 8}.{i & 255}.1:4001");
        }

        // 256 senders spread over deep buckets that have room, so each is a known contact and none runs
        // out of its rate budget however fast the loop goes.
        _senders = new PeerId[256];
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        for (var i = 0; i < _senders.Length; i++)
        {
            self.WriteTo(bytes);
            var bit = 12 + (i % 40);
            bytes[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            for (var j = bit + 1; j < 256; j++)
            {
                if (random.Next(2) == 1)
                {
                    bytes[j / 8] ^= (byte)(0x80 >> (j % 8));
                }
            }

            _senders[i] = PeerId.FromBytes(bytes);
            table.Observe(_senders[i], new NetworkGroup((ulong)(100_000 + i)), now, 50, "tcp://127.0.0.1:4002");
        }
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        _handler = new DhtRequestHandler(table, store, new PeerRateLimiter(options), options, TimeProvider.System,
            new DhtMetrics(new System.Diagnostics.Metrics.Meter("Overlay.Benchmarks.DhtHandler")), () => (default, 1.0));
        _requests = FindNodeRequests.Create(256, random);
    }

    [Benchmark]
    public int ServeFindNode()
    {
        _response.ResetWrittenCount();
        var i = _next++ & 255;
        // Completed at once: a FIND_NODE needs no save.
        if (!_handler.ServeAsync(_senders[i], _requests[i], _response).AsTask().IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("A FIND_NODE was not served at once.");
        }

        return _response.WrittenCount;
    }
}
