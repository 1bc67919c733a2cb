using BenchmarkDotNet.Attributes;
using Overlay.Erasure.Kernels;

namespace Overlay.Benchmarks.Erasure;

/// <summary>
/// Wall-clock view of the 10+4 targets on the default kernel: encoding a stripe, and rebuilding 4
/// lost data shards from the 10 that remain. Shards lie 64 bytes apart in one buffer (see
/// <see cref="ErasureCpuTimeProbe"/> for why the gap matters). Time per stripe; GB/s of data is
/// 10 · ShardBytes / time.
/// </summary>
public class ErasureBenchmarks
{
    private ErasureWorkload _workload = null!;

    [Params(64 * 1024, 1024 * 1024)]
    public int ShardBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new ErasureWorkload(GfKernels.Best, 10, 4, ShardBytes, gap: 64, lostDataShards: 4);

    [Benchmark]
    public void Encode() => _workload.Encode();

    [Benchmark]
    public void ReconstructData() => _workload.ReconstructData();
}
