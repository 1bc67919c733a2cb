using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Routing;

namespace Overlay.Benchmarks.Dht;

/// <summary>Closest-k on a full table, and the memory a table holds per contact.</summary>
[MemoryDiagnoser]
public class RoutingTableBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Contact[] _result = new Contact[20];
    private RoutingTable _table = null!;
    private PeerId[] _targets = [];
    private PeerId[] _bucketIds = [];
    private PeerId[] _known = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _table = new RoutingTable(PeerId.Random(random), new DhtOptions(), T0);
        // Fill the 30 shallowest buckets completely: 600 contacts, as deep as a table gets in a
        // network of about 10^10 nodes; each lookup scans the buckets on its path.
        var ids = new List<PeerId>();
        for (var b = 0; b < 30; b++)
        {
            for (var i = 0; i < 20; i++)
            {
                var id = _table.RandomIdInBucket(b, random);
                _table.Observe(id, default, T0);
                ids.Add(id);
            }
        }

        _known = ids.ToArray();
        _targets = new PeerId[1024];
        for (var i = 0; i < _targets.Length; i++)
        {
            _targets[i] = PeerId.Random(random);
        }

        // 1000 ids, 20 per bucket over 50 buckets: every one is accepted by a fresh table.
        var self = PeerId.Random(random);
        var probe = new RoutingTable(self, new DhtOptions(), T0);
        _bucketIds = new PeerId[1000];
        for (var i = 0; i < 1000; i++)
        {
            _bucketIds[i] = probe.RandomIdInBucket(i / 20, random);
        }

        _selfForBuild = self;
    }

    private PeerId _selfForBuild;

    [Benchmark(Description = "FindClosest k=20, 600-contact table")]
    public int FindClosest()
    {
        var target = _targets[_next++ & 1023];
        return _table.FindClosest(target, _result);
    }

    [Benchmark(Description = "Observe known contact (move to tail)")]
    public ObserveOutcome ObserveKnown()
    {
        var id = _known[_next++ % _known.Length];
        return _table.Observe(id, default, T0).Outcome;
    }

    /// <summary>Allocated bytes ÷ 1000 = bytes per contact (Contact object, bucket arrays and group counts).</summary>
    [Benchmark(Description = "Build table with 1000 contacts, distinct /24 groups")]
    public int BuildTable1000()
    {
        var table = new RoutingTable(_selfForBuild, new DhtOptions { MaxContactsPerGroupInTable = 10 }, T0);
        for (var i = 0; i < _bucketIds.Length; i++)
        {
            table.Observe(_bucketIds[i], new NetworkGroup(0x0400000000000000UL | (uint)i), T0);
        }

        return table.Count;
    }
}
