using BenchmarkDotNet.Attributes;
using Overlay.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>One-off identity costs: decoding (and validating) a peer's key, and deriving an identity from a seed.</summary>
public class IdentityBenchmarks
{
    private byte[] _encoded = [];
    private byte[] _seed = [];

    [GlobalSetup]
    public void Setup()
    {
        _seed = new byte[32];
        new Random(1).NextBytes(_seed);
        using var identity = NodeIdentity.FromSeed(_seed);
        _encoded = identity.PublicKey.Encoded.ToArray();
    }

    [Benchmark]
    public bool DecodePublicKey() => IdentityPublicKey.TryDecode(_encoded, out _);

    [Benchmark]
    public PeerId FromSeed()
    {
        using var identity = NodeIdentity.FromSeed(_seed);
        return identity.PeerId;
    }
}
