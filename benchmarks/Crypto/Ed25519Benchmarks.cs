using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Crypto.Sodium;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// Ed25519 through the libsodium binding, raw and through the node identity (which adds the scheme
/// byte): the per-message cost of signing and checking DHT records and handshakes.
/// </summary>
public class Ed25519Benchmarks
{
    private Key _key = null!;
    private NodeIdentity _identity = null!;
    private byte[] _message = [];
    private readonly byte[] _signature = new byte[Ed25519Algorithm.SignatureSize];
    private readonly byte[] _identitySignature = new byte[IdentitySignature.MaxSize];
    private byte[] _publicKey = [];

    [Params(64, 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var seed = new byte[32];
        new Random(1).NextBytes(seed);
        _key = Key.Import(Algorithm.Ed25519, seed);
        _identity = NodeIdentity.FromSeed(seed);
        _publicKey = _key.PublicKey!.Bytes.ToArray();
        _message = new byte[MessageSize];
        new Random(2).NextBytes(_message);
        Algorithm.Ed25519.Sign(_key, _message, _signature);
        _identity.Sign(_message, _identitySignature);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _identity.Dispose();
    }

    [Benchmark]
    public int Sign() => Algorithm.Ed25519.Sign(_key, _message, _signature);

    [Benchmark]
    public bool Verify() => Algorithm.Ed25519.Verify(_publicKey, _message, _signature);

    [Benchmark]
    public int IdentitySign() => _identity.Sign(_message, _identitySignature);

    [Benchmark]
    public bool IdentityVerify() => _identity.PublicKey.Verify(_message, _identitySignature);
}
