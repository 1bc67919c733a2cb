using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class Ed25519Tests
{
    // RFC 8032 §7.1, TEST 1 and TEST 2 (seed, public key, message, signature).
    [Theory]
    [InlineData(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    public void Sign_Rfc8032Vectors_ReproducesPublicKeyAndSignature(string seed, string publicKey, string message, string signature)
    {
        using var key = Key.Import(Algorithm.Ed25519, Convert.FromHexString(seed));
        Assert.Equal(publicKey, Convert.ToHexStringLower(key.PublicKey!.Bytes));
        var sig = new byte[Ed25519Algorithm.SignatureSize];
        Assert.Equal(64, Algorithm.Ed25519.Sign(key, Convert.FromHexString(message), sig));
        Assert.Equal(signature, Convert.ToHexStringLower(sig));
        Assert.True(Algorithm.Ed25519.Verify(key.PublicKey, Convert.FromHexString(message), sig));
    }

    [Fact]
    public void ExportPrivateKey_AfterImport_ReturnsTheSeed()
    {
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        using var key = Key.Import(Algorithm.Ed25519, seed);
        var exported = new byte[40];
        Assert.Equal(32, key.ExportPrivateKey(exported));
        Assert.Equal(seed, exported[..32]);
        Assert.All(exported[32..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Create_TwoKeys_AreDistinctAndEachVerifiesOnlyItsOwnSignatures()
    {
        using var a = Key.Create(Algorithm.Ed25519);
        using var b = Key.Create(Algorithm.Ed25519);
        Assert.NotEqual(a.PublicKey, b.PublicKey);
        var message = "hello overlay"u8.ToArray();
        var sig = new byte[64];
        Algorithm.Ed25519.Sign(a, message, sig);
        Assert.True(Algorithm.Ed25519.Verify(a.PublicKey!, message, sig));
        Assert.False(Algorithm.Ed25519.Verify(b.PublicKey!, message, sig));
        message[0] ^= 1;
        Assert.False(Algorithm.Ed25519.Verify(a.PublicKey!, message, sig));
    }

    [Fact]
    public void Verify_MalformedInputs_ReturnsFalseWithoutThrowing()
    {
        using var key = Key.Create(Algorithm.Ed25519);
        var pk = key.PublicKey!.Bytes.ToArray();
        var sig = new byte[64];
        Algorithm.Ed25519.Sign(key, [], sig);
        Assert.True(Algorithm.Ed25519.Verify(pk, [], sig));
        Assert.False(Algorithm.Ed25519.Verify(pk, [], sig.AsSpan(0, 63)));
        Assert.False(Algorithm.Ed25519.Verify(pk, [], [.. sig, 0]));
        Assert.False(Algorithm.Ed25519.Verify(pk.AsSpan(0, 31), [], sig));
        Assert.False(Algorithm.Ed25519.Verify([], [], []));
        Assert.False(Algorithm.Ed25519.Verify(new byte[32], [], new byte[64]));
        var x25519 = PublicKey.Import(Algorithm.X25519, pk);
        Assert.False(Algorithm.Ed25519.Verify(x25519, [], sig));

        var random = new Random(11);
        var junkKey = new byte[32];
        var junkSig = new byte[64];
        for (var i = 0; i < 2000; i++)
        {
            random.NextBytes(junkKey);
            random.NextBytes(junkSig);
            Assert.False(Algorithm.Ed25519.Verify(junkKey, junkSig, junkSig));
        }
    }

    [Fact]
    public void IsValidPublicKey_RejectsSmallOrderNonCanonicalAndWrongLength()
    {
        using var key = Key.Create(Algorithm.Ed25519);
        Assert.True(Algorithm.Ed25519.IsValidPublicKey(key.PublicKey!.Bytes));
        var identity = new byte[32];
        identity[0] = 1; // the neutral element (small order)
        Assert.False(Algorithm.Ed25519.IsValidPublicKey(identity));
        Assert.False(Algorithm.Ed25519.IsValidPublicKey(new byte[32]));
        var nonCanonical = Enumerable.Repeat((byte)0xff, 32).ToArray();
        nonCanonical[31] = 0x7f; // y = 2^255 - 1 >= p
        Assert.False(Algorithm.Ed25519.IsValidPublicKey(nonCanonical));
        Assert.False(Algorithm.Ed25519.IsValidPublicKey(key.PublicKey.Bytes[..31]));
    }

    [Fact]
    public void Sign_ArgumentErrors_Throw()
    {
        using var key = Key.Create(Algorithm.Ed25519);
        using var x = Key.Create(Algorithm.X25519);
        Assert.Throws<ArgumentException>(() => Algorithm.Ed25519.Sign(key, [], new byte[63]));
        Assert.Throws<ArgumentException>(() => Algorithm.Ed25519.Sign(x, [], new byte[64]));
        Assert.Throws<ArgumentNullException>(() => Algorithm.Ed25519.Sign(null!, [], new byte[64]));
        Assert.Throws<ArgumentException>(() => Key.Import(Algorithm.Ed25519, new byte[31]));
        Assert.Throws<ArgumentException>(() => Key.Import(Algorithm.Ed25519, new byte[64]));
        Assert.Throws<ArgumentException>(() => key.ExportPrivateKey(new byte[31]));
    }
}
