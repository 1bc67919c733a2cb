using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Identity;

public sealed class NodeIdentityTests
{
    // RFC 8032 §7.1 TEST 1 seed and its Ed25519 public key.
    private const string Rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    [Fact]
    public void FromSeed_KnownSeed_EncodesSchemeThenKeyAndHashesItIntoThePeerId()
    {
        using var identity = NodeIdentity.FromSeed(Convert.FromHexString(Rfc8032Seed));
        Assert.Equal("01" + Rfc8032PublicKey, Convert.ToHexStringLower(identity.PublicKey.Encoded));
        Assert.Equal(IdentityScheme.Ed25519, identity.Scheme);
        var digest = new byte[32];
        Blake3.Hash(identity.PublicKey.Encoded, digest);
        Assert.Equal(PeerId.FromBytes(digest), identity.PeerId);
        Assert.Equal(identity.PeerId, identity.PublicKey.PeerId);
    }

    [Fact]
    public void FromSeed_SameSeed_SameIdentityAndSignatures()
    {
        var seed = new byte[32];
        new Random(5).NextBytes(seed);
        using var a = NodeIdentity.FromSeed(seed);
        using var b = NodeIdentity.FromSeed(seed);
        Assert.Equal(a.PeerId, b.PeerId);
        Assert.Equal(a.PublicKey, b.PublicKey);
        Assert.Equal(a.Sign("m"u8), b.Sign("m"u8));
        using var c = NodeIdentity.FromRandom(new Random(5));
        Assert.Equal(a.PeerId, c.PeerId);
    }

    [Fact]
    public void Generate_TwoIdentities_Differ()
    {
        using var a = NodeIdentity.Generate();
        using var b = NodeIdentity.Generate();
        Assert.NotEqual(a.PeerId, b.PeerId);
        Assert.NotEqual(a.PublicKey, b.PublicKey);
    }

    [Fact]
    public void Sign_ThenVerify_AcceptsOnlyTheExactMessageAndSignature()
    {
        using var identity = NodeIdentity.Generate();
        var message = "find_node 42"u8.ToArray();
        var signature = new byte[identity.SignatureSize + 3];
        Assert.Equal(65, identity.Sign(message, signature));
        Assert.Equal((byte)IdentityScheme.Ed25519, signature[0]);
        var sig = signature[..65];
        Assert.Equal(sig, identity.Sign(message));
        Assert.True(identity.PublicKey.Verify(message, sig));

        for (var i = 0; i < sig.Length; i++)
        {
            sig[i] ^= 0x80;
            Assert.False(identity.PublicKey.Verify(message, sig));
            sig[i] ^= 0x80;
        }

        message[^1] ^= 1;
        Assert.False(identity.PublicKey.Verify(message, sig));
        message[^1] ^= 1;

        // Scheme byte mismatch, truncation, extension, empty.
        sig[0] = 2;
        Assert.False(identity.PublicKey.Verify(message, sig));
        sig[0] = 1;
        Assert.False(identity.PublicKey.Verify(message, sig.AsSpan(0, 64)));
        Assert.False(identity.PublicKey.Verify(message, [.. sig, 0]));
        Assert.False(identity.PublicKey.Verify(message, []));
        // The raw 64-byte Ed25519 signature without its scheme byte is not an identity signature.
        Assert.False(identity.PublicKey.Verify(message, sig.AsSpan(1)));

        using var other = NodeIdentity.Generate();
        Assert.False(other.PublicKey.Verify(message, sig));
    }

    [Fact]
    public void Verify_RandomSignatures_NeverThrowsNeverAccepts()
    {
        using var identity = NodeIdentity.Generate();
        var random = new Random(23);
        for (var i = 0; i < 3000; i++)
        {
            var sig = new byte[random.Next(0, 80)];
            random.NextBytes(sig);
            if (sig.Length > 0 && random.Next(2) == 0) sig[0] = 1;
            Assert.False(identity.PublicKey.Verify(sig, sig));
        }
    }

    [Fact]
    public void TryDecode_RoundTripsAndRefusesMalformedKeys()
    {
        using var identity = NodeIdentity.Generate();
        Assert.True(IdentityPublicKey.TryDecode(identity.PublicKey.Encoded, out var decoded));
        Assert.Equal(identity.PublicKey, decoded);
        Assert.True(identity.PublicKey == decoded);
        Assert.Equal(identity.PeerId, decoded.PeerId);
        Assert.Equal(identity.PublicKey.GetHashCode(), decoded.GetHashCode());

        var encoded = identity.PublicKey.Encoded.ToArray();
        Assert.False(IdentityPublicKey.TryDecode([], out _));
        Assert.False(IdentityPublicKey.TryDecode(encoded.AsSpan(0, 32), out _));
        Assert.False(IdentityPublicKey.TryDecode([.. encoded, 0], out _));
        Assert.False(IdentityPublicKey.TryDecode([0, .. encoded[1..]], out _));
        Assert.False(IdentityPublicKey.TryDecode([2, .. encoded[1..]], out _));
        var smallOrder = new byte[33];
        smallOrder[0] = 1;
        smallOrder[1] = 1; // the neutral point
        Assert.False(IdentityPublicKey.TryDecode(smallOrder, out _));
        Assert.Throws<FormatException>(() => IdentityPublicKey.Decode(smallOrder));

        var random = new Random(3);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            if (IdentityPublicKey.TryDecode(bytes, out var key))
            {
                // Only a well-formed Ed25519 encoding can pass (about 1 in 8 random 32-byte strings).
                Assert.Equal(33, bytes.Length);
                Assert.Equal(1, bytes[0]);
                Assert.True(Algorithm.Ed25519.IsValidPublicKey(key.Encoded[1..]));
            }
        }
    }

    [Fact]
    public void SchemeSizes_KnownAndUnknownSchemeBytes()
    {
        Assert.True(IdentityPublicKey.TryGetEncodedSize(1, out var keySize));
        Assert.Equal(33, keySize);
        Assert.True(IdentitySignature.TryGetSize(1, out var sigSize));
        Assert.Equal(65, sigSize);
        Assert.False(IdentityPublicKey.TryGetEncodedSize(0, out _));
        Assert.False(IdentitySignature.TryGetSize(2, out _));
    }

    [Fact]
    public void Dispose_ThenSign_Throws_ButPublicKeyStillVerifies()
    {
        var identity = NodeIdentity.Generate();
        var sig = identity.Sign("x"u8);
        identity.Dispose();
        Assert.Throws<ObjectDisposedException>(() => identity.Sign("x"u8));
        Assert.True(identity.PublicKey.Verify("x"u8, sig));
    }

    [Fact]
    public void ArgumentErrors_Throw()
    {
        Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(new byte[31]));
        Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(new byte[33]));
        using var identity = NodeIdentity.Generate();
        Assert.Throws<ArgumentException>(() => identity.Sign("x"u8, new byte[64]));
    }

    [Fact]
    public void TryFromEd25519_RawKey_EqualsTheIdentityKey()
    {
        using var identity = NodeIdentity.Generate();
        Assert.True(IdentityPublicKey.TryFromEd25519(identity.PublicKey.KeyMaterial, out var key));
        Assert.Equal(identity.PublicKey, key);
        Assert.Equal(identity.PeerId, key.PeerId);
        Assert.False(IdentityPublicKey.TryFromEd25519(identity.PublicKey.Encoded, out _));
        Assert.False(IdentityPublicKey.TryFromEd25519(new byte[32], out _));
        Assert.False(IdentityPublicKey.TryFromEd25519([], out _));
    }
}
