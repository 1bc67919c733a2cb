extern alias Blake3Package;

using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using PackageHasher = Blake3Package::Blake3.Hasher;

namespace Overlay.Benchmarks.Crypto;

/// <summary>Single-thread one-shot BLAKE3 per input size, through the entry point the node calls.</summary>
[MemoryDiagnoser]
public class Blake3Benchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Blake3.HashSize];

    [Params(64, 1024, 65536, 1048576, 16777216)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(1).NextBytes(_input);
    }

    [Benchmark]
    public void Hash() => Blake3.Hash(_input, _output);
}

/// <summary>
/// The package's multi-threaded path (<c>UpdateWithJoin</c>, one worker per processor) beside the
/// single-thread one-shot of the same input.
/// </summary>
[MemoryDiagnoser]
public class Blake3ParallelBenchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Blake3.HashSize];

    [Params(16777216, 1073741824)]
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
    public void UpdateWithJoin() => Blake3ParallelHash.Run(_input, _output);
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

/// <summary>The package's multi-threaded hash of one input (the node itself hashes on one thread per call).</summary>
internal static class Blake3ParallelHash
{
    public static void Run(ReadOnlySpan<byte> input, Span<byte> output)
    {
        using var hasher = PackageHasher.New();
        hasher.UpdateWithJoin(input);
        hasher.Finalize(output);
    }
}
