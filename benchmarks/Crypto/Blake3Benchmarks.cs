using BenchmarkDotNet.Attributes;
using Overlay.Crypto;

namespace Overlay.Benchmarks.Crypto;

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
