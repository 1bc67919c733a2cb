using BenchmarkDotNet.Attributes;
using Overlay.Crypto.MlDsa;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// ML-DSA key generation, signing and verification on one thread. Every call signs or verifies a different
/// 64-byte message, because the number of rejection-sampling rounds depends on the message.
/// </summary>
[MemoryDiagnoser]
public class MlDsaBenchmarks
{
    private const int Messages = 256;

    private MlDsaPrivateKey _key = null!;
    private MlDsaPublicKey _verificationKey = null!;
    private byte[] _privateKey = [];
    private byte[] _publicKey = [];
    private byte[][] _messages = [];
    private byte[][] _signatures = [];
    private byte[] _signature = [];
    private readonly byte[] _seed = new byte[MlDsaAlgorithm.SeedSize];
    private byte[] _generatedPublicKey = [];
    private byte[] _generatedPrivateKey = [];
    private int[] _expanded = [];
    private readonly byte[] _seedMaterial = new byte[MlDsaKeys.SeedMaterialBytes];
    private int _next;

    [Params(MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87)]
    public MlDsaParameterSet Set { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(204);
        random.NextBytes(_seed);
        _key = MlDsaPrivateKey.FromSeed(Set, _seed);
        _privateKey = new byte[MlDsaAlgorithm.PrivateKeySize(Set)];
        _publicKey = new byte[MlDsaAlgorithm.PublicKeySize(Set)];
        _key.ExportPrivateKey(_privateKey);
        _key.ExportPublicKey(_publicKey);
        MlDsaPublicKey.TryImport(Set, _publicKey, out var verificationKey);
        _verificationKey = verificationKey!;
        _signature = new byte[MlDsaAlgorithm.SignatureSize(Set)];
        _generatedPublicKey = new byte[_publicKey.Length];
        _generatedPrivateKey = new byte[_privateKey.Length];
        _expanded = new int[MlDsaKeys.ExpandedLength(MlDsaParameters.Get(Set))];
        _messages = new byte[Messages][];
        _signatures = new byte[Messages][];
        for (var i = 0; i < Messages; i++)
        {
            _messages[i] = new byte[64];
            random.NextBytes(_messages[i]);
            _signatures[i] = new byte[_signature.Length];
            _key.Sign(_messages[i], default, _signatures[i]);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark]
    public void KeyGen()
    {
        _seed[0]++;
        MlDsaAlgorithm.GenerateKey(Set, _seed, _generatedPublicKey, _generatedPrivateKey);
    }

    /// <summary>Hedged signing with an <see cref="MlDsaPrivateKey"/>, which expands its stored encoding for each signature.</summary>
    [Benchmark]
    public void Sign() => _key.Sign(NextMessage(), default, _signature);

    /// <summary>Hedged signing from the encoded private key: expands Â and the NTTs of s1, s2, t0 each call.</summary>
    [Benchmark]
    public void SignFromBytes() => MlDsaAlgorithm.Sign(Set, _privateKey, NextMessage(), default, _signature);

    /// <summary>The expansion each signature pays: skDecode, NTT(s1), NTT(s2), NTT(t0) and sampling Â from ρ.</summary>
    [Benchmark]
    public bool ExpandPrivateKey() => MlDsaKeys.TryExpandPrivateKey(MlDsaParameters.Get(Set), _privateKey, _expanded, _seedMaterial);

    [Benchmark]
    public bool Verify()
    {
        var i = _next++ & (Messages - 1);
        return MlDsaAlgorithm.Verify(Set, _publicKey, _messages[i], default, _signatures[i]);
    }

    /// <summary>Verification with an expanded <see cref="MlDsaPublicKey"/> (Â, NTT(t1·2^d) and tr cached).</summary>
    [Benchmark]
    public bool VerifyCachedKey()
    {
        var i = _next++ & (Messages - 1);
        return _verificationKey.Verify(_messages[i], default, _signatures[i]);
    }

    private byte[] NextMessage() => _messages[_next++ & (Messages - 1)];
}
