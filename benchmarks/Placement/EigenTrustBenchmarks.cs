using BenchmarkDotNet.Attributes;
using Overlay.Placement;
using Overlay.Placement.Trust;

namespace Overlay.Benchmarks.Placement;

/// <summary>
/// One full global-trust computation (power iteration to the default tolerance, 0.001 L1) over a sparse
/// matrix whose rows name 50 to 200 peers, and the assembly of that matrix from the rows.
/// </summary>
[MemoryDiagnoser]
public class EigenTrustBenchmarks
{
    private readonly PlacementOptions _options = new();
    private TrustMatrixBuilder _rows = null!;
    private TrustMatrix _matrix = null!;
    private double[] _trust = [];
    private double[] _scratch = [];

    [Params(1000, 10_000)]
    public int Peers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rows = PlacementWorkloads.SparseRows(Peers);
        _matrix = _rows.Build();
        _trust = new double[_matrix.PeerCount];
        _scratch = new double[_matrix.PeerCount];
    }

    /// <summary>The computation a node runs: a new snapshot (one vector of trust and one of scratch allocated).</summary>
    [Benchmark]
    public TrustSnapshot Compute() => EigenTrust.Compute(_matrix, _options, PlacementWorkloads.T0);

    /// <summary>The same iteration into vectors the caller keeps: no allocation.</summary>
    [Benchmark]
    public EigenTrustRun Solve() => EigenTrust.Solve(_matrix, _options.PreTrustWeight, _options.ConvergenceTolerance, _options.MaxIterations, _trust, _scratch);

    /// <summary>Building the sparse matrix from the collected rows.</summary>
    [Benchmark]
    public TrustMatrix Assemble() => _rows.Build();
}
