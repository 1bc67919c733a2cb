using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class X25519Tests
{
    // RFC 7748 §6.1: Alice's and Bob's keys and their shared secret.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string Shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Fact]
    public void Agree_Rfc7748Vector_BothSidesDeriveTheSameSecret()
    {
        using var alice = Key.Import(Algorithm.X25519, Convert.FromHexString(AlicePrivate));
        using var bob = Key.Import(Algorithm.X25519, Convert.FromHexString(BobPrivate));
        Assert.Equal(AlicePublic, Convert.ToHexStringLower(alice.PublicKey!.Bytes));
        Assert.Equal(BobPublic, Convert.ToHexStringLower(bob.PublicKey!.Bytes));

        var s1 = new byte[32];
        var s2 = new byte[32];
        Assert.Equal(KeyAgreementResult.Success, Algorithm.X25519.Agree(alice, bob.PublicKey.Bytes, s1));
        Assert.Equal(KeyAgreementResult.Success, Algorithm.X25519.Agree(bob, alice.PublicKey.Bytes, s2));
        Assert.Equal(Shared, Convert.ToHexStringLower(s1));
        Assert.Equal(s1, s2);
    }

    [Fact]
    public void Agree_LowOrderPoint_ReturnsZeroSharedSecretAndWipesOutput()
    {
        using var key = Key.Create(Algorithm.X25519);
        var output = Enumerable.Repeat((byte)0xAA, 32).ToArray();
        Assert.Equal(KeyAgreementResult.ZeroSharedSecret, Algorithm.X25519.Agree(key, new byte[32], output));
        Assert.All(output, b => Assert.Equal(0, b));

        var one = new byte[32];
        one[0] = 1; // u = 1 has order 1 on the curve
        Assert.Equal(KeyAgreementResult.ZeroSharedSecret, Algorithm.X25519.Agree(key, one, output));
    }

    [Fact]
    public void Agree_WrongPeerKeyLength_ReturnsInvalidPublicKeyLength()
    {
        using var key = Key.Create(Algorithm.X25519);
        var output = new byte[32];
        Assert.Equal(KeyAgreementResult.InvalidPublicKeyLength, Algorithm.X25519.Agree(key, new byte[31], output));
        Assert.Equal(KeyAgreementResult.InvalidPublicKeyLength, Algorithm.X25519.Agree(key, new byte[33], output));
        Assert.Equal(KeyAgreementResult.InvalidPublicKeyLength, Algorithm.X25519.Agree(key, [], output));
    }

    [Fact]
    public void Agree_ArgumentErrors_Throw()
    {
        using var key = Key.Create(Algorithm.X25519);
        using var ed = Key.Create(Algorithm.Ed25519);
        Assert.Throws<ArgumentException>(() => Algorithm.X25519.Agree(key, new byte[32], new byte[31]));
        Assert.Throws<ArgumentException>(() => Algorithm.X25519.Agree(ed, new byte[32], new byte[32]));
    }
}
