using BenchmarkDotNet.Attributes;
using Overlay.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// Single-thread one-shot BLAKE3 throughput per input size and implementation path. Paths the
/// processor lacks are left out of the parameter list rather than reported as failures.
/// </summary>
[MemoryDiagnoser]
public class Blake3Benchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Blake3.HashSize];

    [Params(64, 1024, 65536, 1048576, 16777216)]
    public int Size { get; set; }

    [ParamsSource(nameof(Paths))]
    public Blake3Implementation Path { get; set; }

    public static IEnumerable<Blake3Implementation> Paths()
    {
        foreach (var path in Enum.GetValues<Blake3Implementation>())
        {
            if (Blake3.IsSupported(path))
            {
                yield return path;
            }
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(1).NextBytes(_input);
    }

    [Benchmark]
    public void Hash() => Blake3.Hash(_input, _output, Path);
}

/// <summary>Multi-threaded hashing of a large input beside the single-thread one-shot of the same input.</summary>
[MemoryDiagnoser]
public class Blake3ParallelBenchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Blake3.HashSize];

    [Params(16777216)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(1).NextBytes(_input);
    }

    [Benchmark(Baseline = true)]
    public void SingleThread() => Blake3.Hash(_input, _output);

    [Benchmark]
    public void AllProcessors() => Blake3.HashParallel(_input, _output, Environment.ProcessorCount);
}

/// <summary>Incremental hashing in 64 KiB updates, and the stream hasher over an in-memory stream.</summary>
[MemoryDiagnoser]
public class Blake3IncrementalBenchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Blake3.HashSize];

    [Params(16777216)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(1).NextBytes(_input);
    }

    [Benchmark]
    public void HasherUpdates64KiB()
    {
        var hasher = Blake3Hasher.Create();
        for (var offset = 0; offset < _input.Length; offset += 65536)
        {
            hasher.Update(_input.AsSpan(offset, Math.Min(65536, _input.Length - offset)));
        }

        hasher.Finalize(_output);
    }

    [Benchmark]
    public Task StreamHasher()
    {
        var stream = new MemoryStream(_input, writable: false);
        return Blake3File.HashAsync(stream, _output, CancellationToken.None);
    }
}
