using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Overlay.Crypto.MlDsa;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// The own ML-DSA beside BouncyCastle's (2.7.0) in one run: key generation from a seed, hedged signing and
/// verification, each from encoded key bytes and from a key object already imported. Every call signs or
/// verifies a different 64-byte message, empty context, one thread.
/// </summary>
[MemoryDiagnoser]
public class MlDsaBouncyCastleBenchmarks
{
    private MlDsaBouncyCastlePair _pair = null!;

    [Params(MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87)]
    public MlDsaParameterSet Set { get; set; }

    [GlobalSetup]
    public void Setup() => _pair = new MlDsaBouncyCastlePair(Set);

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark]
    public void OwnKeyGen() => _pair.OwnKeyGen();

    [Benchmark]
    public void BouncyCastleKeyGen() => _pair.BouncyCastleKeyGen();

    [Benchmark]
    public void OwnSignFromBytes() => _pair.OwnSignFromBytes();

    [Benchmark]
    public void BouncyCastleSignFromBytes() => _pair.BouncyCastleSignFromBytes();

    [Benchmark]
    public void OwnSignKeyObject() => _pair.OwnSignKeyObject();

    [Benchmark]
    public void BouncyCastleSignKeyObject() => _pair.BouncyCastleSignKeyObject();

    [Benchmark]
    public bool OwnVerifyFromBytes() => _pair.OwnVerifyFromBytes();

    [Benchmark]
    public bool BouncyCastleVerifyFromBytes() => _pair.BouncyCastleVerifyFromBytes();

    [Benchmark]
    public bool OwnVerifyKeyObject() => _pair.OwnVerifyKeyObject();

    [Benchmark]
    public bool BouncyCastleVerifyKeyObject() => _pair.BouncyCastleVerifyKeyObject();
}

/// <summary>
/// One key pair in both implementations and the operations the benchmark and the CPU-time probe
/// (<c>mldsa-compare</c>) time. Key objects: the own <see cref="MlDsaPrivateKey"/> (which keeps the encoding
/// and expands it per signature) and <see cref="MlDsaPublicKey"/> (Â, NTT(t1·2^d) and tr expanded once);
/// BouncyCastle's key parameters and a signer initialised once.
/// </summary>
internal sealed class MlDsaBouncyCastlePair : IDisposable
{
    private const int Messages = 256;

    private readonly MlDsaParameterSet _set;
    private readonly MLDsaParameters _bcParameters;
    private readonly byte[] _seed = new byte[MlDsaAlgorithm.SeedSize];
    private readonly byte[] _publicKey;
    private readonly byte[] _privateKey;
    private readonly byte[] _generatedPublicKey;
    private readonly byte[] _generatedPrivateKey;
    private readonly byte[] _signature;
    private readonly byte[][] _messages = new byte[Messages][];
    private readonly byte[][] _signatures = new byte[Messages][];
    private readonly MlDsaPrivateKey _ownKey;
    private readonly MlDsaPublicKey _ownPublicKey;
    private readonly MLDsaPublicKeyParameters _bcPublicKey;
    private readonly MLDsaSigner _bcSigner;
    private readonly MLDsaSigner _bcVerifier;
    private readonly SecureRandom _bcRandom = new();
    private int _next;

    public MlDsaBouncyCastlePair(MlDsaParameterSet set)
    {
        _set = set;
        _bcParameters = set switch
        {
            MlDsaParameterSet.MlDsa44 => MLDsaParameters.ml_dsa_44,
            MlDsaParameterSet.MlDsa65 => MLDsaParameters.ml_dsa_65,
            _ => MLDsaParameters.ml_dsa_87,
        };
        var random = new Random(204);
        random.NextBytes(_seed);
        _publicKey = new byte[MlDsaAlgorithm.PublicKeySize(set)];
        _privateKey = new byte[MlDsaAlgorithm.PrivateKeySize(set)];
        MlDsaAlgorithm.GenerateKey(set, _seed, _publicKey, _privateKey);
        _generatedPublicKey = new byte[_publicKey.Length];
        _generatedPrivateKey = new byte[_privateKey.Length];
        _signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
        _ownKey = MlDsaPrivateKey.FromSeed(set, _seed);
        MlDsaPublicKey.TryImport(set, _publicKey, out var ownPublicKey);
        _ownPublicKey = ownPublicKey!;

        var bcPrivateKey = MLDsaPrivateKeyParameters.FromEncoding(_bcParameters, _privateKey);
        _bcPublicKey = MLDsaPublicKeyParameters.FromEncoding(_bcParameters, _publicKey);
        _bcSigner = new MLDsaSigner(_bcParameters, deterministic: false);
        _bcSigner.Init(true, new ParametersWithRandom(bcPrivateKey, _bcRandom));
        _bcVerifier = new MLDsaSigner(_bcParameters, deterministic: false);
        _bcVerifier.Init(false, _bcPublicKey);
        for (var i = 0; i < Messages; i++)
        {
            _messages[i] = new byte[64];
            random.NextBytes(_messages[i]);
            _signatures[i] = new byte[_signature.Length];
            _ownKey.Sign(_messages[i], default, _signatures[i]);
        }
    }

    public void OwnKeyGen()
    {
        _seed[0]++;
        MlDsaAlgorithm.GenerateKey(_set, _seed, _generatedPublicKey, _generatedPrivateKey);
    }

    public void BouncyCastleKeyGen()
    {
        _seed[0]++;
        MLDsaPrivateKeyParameters.FromSeed(_bcParameters, _seed).GetPublicKeyEncoded();
    }

    public void OwnSignFromBytes() => MlDsaAlgorithm.Sign(_set, _privateKey, NextMessage(), default, _signature);

    public void BouncyCastleSignFromBytes()
    {
        var signer = new MLDsaSigner(_bcParameters, deterministic: false);
        signer.Init(true, new ParametersWithRandom(MLDsaPrivateKeyParameters.FromEncoding(_bcParameters, _privateKey), _bcRandom));
        var message = NextMessage();
        signer.BlockUpdate(message, 0, message.Length);
        signer.GenerateSignature();
    }

    public void OwnSignKeyObject() => _ownKey.Sign(NextMessage(), default, _signature);

    public void BouncyCastleSignKeyObject()
    {
        var message = NextMessage();
        _bcSigner.BlockUpdate(message, 0, message.Length);
        _bcSigner.GenerateSignature();
    }

    public bool OwnVerifyFromBytes()
    {
        var i = _next++ & (Messages - 1);
        return MlDsaAlgorithm.Verify(_set, _publicKey, _messages[i], default, _signatures[i]);
    }

    public bool BouncyCastleVerifyFromBytes()
    {
        var i = _next++ & (Messages - 1);
        var verifier = new MLDsaSigner(_bcParameters, deterministic: false);
        verifier.Init(false, MLDsaPublicKeyParameters.FromEncoding(_bcParameters, _publicKey));
        verifier.BlockUpdate(_messages[i], 0, _messages[i].Length);
        return verifier.VerifySignature(_signatures[i]);
    }

    public bool OwnVerifyKeyObject()
    {
        var i = _next++ & (Messages - 1);
        return _ownPublicKey.Verify(_messages[i], default, _signatures[i]);
    }

    public bool BouncyCastleVerifyKeyObject()
    {
        var i = _next++ & (Messages - 1);
        _bcVerifier.BlockUpdate(_messages[i], 0, _messages[i].Length);
        return _bcVerifier.VerifySignature(_signatures[i]);
    }

    public void Dispose() => _ownKey.Dispose();

    private byte[] NextMessage() => _messages[_next++ & (Messages - 1)];
}

/// <summary>
/// The same pairs by process CPU time, own and BouncyCastle alternating batch by batch (best and median of
/// 11 batches). Each verify is checked to succeed once first, so a broken side cannot look fast. Run with
/// <c>mldsa-compare</c>.
/// </summary>
public static class MlDsaBouncyCastleProbe
{
    private const int Batches = 11;

    public static void Run(TextWriter output)
    {
        output.WriteLine("| Set | Operation | own µs (best / median) | BouncyCastle µs (best / median) | BouncyCastle ÷ own (median) |");
        output.WriteLine("|---|---|---:|---:|---:|");
        foreach (var set in new[] { MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87 })
        {
            using var pair = new MlDsaBouncyCastlePair(set);
            if (!pair.OwnVerifyFromBytes() || !pair.BouncyCastleVerifyFromBytes() || !pair.OwnVerifyKeyObject() || !pair.BouncyCastleVerifyKeyObject())
            {
                throw new InvalidOperationException($"A {set} verification failed; the comparison would mean nothing.");
            }

            Row(output, set, "KeyGen from seed", pair.OwnKeyGen, pair.BouncyCastleKeyGen, 100);
            Row(output, set, "Sign from key bytes", pair.OwnSignFromBytes, pair.BouncyCastleSignFromBytes, 40);
            Row(output, set, "Sign with a key object", pair.OwnSignKeyObject, pair.BouncyCastleSignKeyObject, 40);
            Row(output, set, "Verify from key bytes", () => pair.OwnVerifyFromBytes(), () => pair.BouncyCastleVerifyFromBytes(), 100);
            Row(output, set, "Verify with a key object", () => pair.OwnVerifyKeyObject(), () => pair.BouncyCastleVerifyKeyObject(), 100);
        }
    }

    private static void Row(TextWriter output, MlDsaParameterSet set, string operation, Action own, Action bouncyCastle, int iterations)
    {
        var (a, b) = CpuTimer.Alternate(own, bouncyCastle, iterations, Batches);
        output.WriteLine($"| {set} | {operation} | {a.Min() / 1000:N1} / {CpuTimer.Median(a) / 1000:N1} | {b.Min() / 1000:N1} / {CpuTimer.Median(b) / 1000:N1} | {CpuTimer.Median(b) / CpuTimer.Median(a):F1}× |");
    }
}
