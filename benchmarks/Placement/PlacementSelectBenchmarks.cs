using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Placement;
using Overlay.Placement.Selection;

namespace Overlay.Benchmarks.Placement;

/// <summary>
/// Choosing 8 replicas among 1,000 or 10,000 candidates: on a prepared set (the data plane's path, one
/// preparation per candidate set), the preparation itself, and both together through the one-call overload.
/// </summary>
[MemoryDiagnoser]
public class PlacementSelectBenchmarks
{
    private readonly PlacementOptions _options = new();
    private readonly int[] _chosen = new int[8];
    private readonly byte[] _objectId = new byte[32];
    private PlacementCandidate[] _candidates = [];
    private Overlay.Placement.Trust.TrustSnapshot _trust = null!;
    private WeightedCandidates _set = null!;
    private ShardPlacer _placer = null!;
    private System.Diagnostics.Metrics.Meter _meter = null!;
    private ulong _next;

    [Params(1000, 10_000)]
    public int Candidates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_candidates, _trust) = PlacementWorkloads.Candidates(Candidates);
        _set = WeightedCandidates.Prepare(_candidates, _trust, _options);
        _meter = new System.Diagnostics.Metrics.Meter("bench.placement");
        _placer = new ShardPlacer(_options, new Random(3), new PlacementMetrics(_meter));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _placer.Dispose();
        _meter.Dispose();
    }

    /// <summary>8 of the prepared set, a different object each call.</summary>
    [Benchmark]
    public int SelectEight()
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_objectId, _next++);
        return _placer.Select(_objectId, 8, _set, default(PeerId), _chosen).Placed;
    }

    /// <summary>Working out every candidate's weight again (reusing the set's arrays).</summary>
    [Benchmark]
    public int Prepare()
    {
        _set.Reset(_candidates, _trust, _options);
        return _set.EligibleCount;
    }
}
