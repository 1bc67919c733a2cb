using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Crypto.MlDsa;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// Hybrid Ed25519 + ML-DSA-65 identity signatures (<see cref="NodeIdentity.Sign(ReadOnlySpan{byte}, Span{byte})"/>,
/// <see cref="IdentityPublicKey.Verify"/>), next to bare ML-DSA-65 on the same message, so the cost the
/// hybrid construction adds (framing, the Ed25519 half) can be read off.
/// </summary>
[MemoryDiagnoser]
public class HybridIdentityBenchmarks
{
    private NodeIdentity _identity = null!;
    private MlDsaPrivateKey _mlDsa = null!;
    private byte[] _mlDsaPublicKey = [];
    private byte[] _message = [];
    private readonly byte[] _signature = new byte[IdentitySignature.HybridSize];
    private readonly byte[] _mlDsaSignature = new byte[IdentitySignature.MlDsa65SignatureSize];

    [Params(64, 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var seed = new byte[32];
        new Random(1).NextBytes(seed);
        _identity = NodeIdentity.FromSeed(seed);
        _mlDsa = MlDsaPrivateKey.FromSeed(MlDsaParameterSet.MlDsa65, seed);
        _mlDsaPublicKey = new byte[IdentityPublicKey.MlDsa65PublicKeySize];
        _mlDsa.ExportPublicKey(_mlDsaPublicKey);
        _message = new byte[MessageSize];
        new Random(2).NextBytes(_message);
        _identity.Sign(_message, _signature);
        _mlDsa.Sign(_message, IdentitySignature.Context, _mlDsaSignature);
        if (!_identity.PublicKey.Verify(_message, _signature))
        {
            throw new InvalidOperationException("The hybrid signature made in setup does not verify.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _identity.Dispose();
        _mlDsa.Dispose();
    }

    [Benchmark]
    public int HybridSign() => _identity.Sign(_message, _signature);

    [Benchmark]
    public bool HybridVerify() => _identity.PublicKey.Verify(_message, _signature);

    [Benchmark]
    public void MlDsa65Sign() => _mlDsa.Sign(_message, IdentitySignature.Context, _mlDsaSignature);

    [Benchmark]
    public bool MlDsa65Verify() => MlDsaAlgorithm.Verify(MlDsaParameterSet.MlDsa65, _mlDsaPublicKey, _message, IdentitySignature.Context, _mlDsaSignature);
}
