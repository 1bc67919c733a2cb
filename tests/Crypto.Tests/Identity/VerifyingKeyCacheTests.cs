namespace Overlay.Crypto.Tests.Identity;

public sealed class VerifyingKeyCacheTests
{
    private static readonly byte[] Message = "a record's signed bytes"u8.ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Verify_FirstAndKeptKey_SameVerdictsAsTheKeyItself(bool hybrid)
    {
        using var signer = Identity(1, hybrid);
        using var other = Identity(2, hybrid);
        var cache = new VerifyingKeyCache();
        var key = signer.PublicKey.Encoded.ToArray();
        var signature = signer.Sign(Message);
        var tampered = (byte[])signature.Clone();
        tampered[^1] ^= 1;
        byte[] otherMessage = [.. Message, 0];

        // Twice each: the first check decodes the key, the later ones use the kept key.
        for (var round = 0; round < 2; round++)
        {
            Assert.True(cache.Verify(key, Message, signature));
            Assert.False(cache.Verify(key, otherMessage, signature));
            Assert.False(cache.Verify(key, Message, tampered));
            Assert.False(cache.Verify(key, Message, other.Sign(Message)));
            Assert.False(cache.Verify(other.PublicKey.Encoded, Message, signature));
        }

        Assert.Equal(signer.PublicKey.Verify(otherMessage, signature), cache.Verify(key, otherMessage, signature));
        Assert.Equal(1, cache.Count);
        Assert.True(cache.Hits >= 7, $"{cache.Hits} hits");
    }

    [Fact]
    public void Verify_SecondSignatureOfOneKey_IsAnsweredFromTheKeptKey()
    {
        using var signer = Identity(3, hybrid: true);
        var cache = new VerifyingKeyCache();
        Assert.True(cache.Verify(signer.PublicKey.Encoded, Message, signer.Sign(Message)));
        Assert.Equal((0L, 1L), (cache.Hits, cache.Misses));

        byte[] second = [.. Message, 7];
        Assert.True(cache.Verify(signer.PublicKey.Encoded, second, signer.Sign(second)));
        Assert.Equal((1L, 1L), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void Verify_KeyWhoseSignatureFailed_IsNotKept()
    {
        using var signer = Identity(4, hybrid: true);
        var cache = new VerifyingKeyCache();
        var signature = signer.Sign(Message);
        signature[10] ^= 1;
        Assert.False(cache.Verify(signer.PublicKey.Encoded, Message, signature));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Verify_MalformedKeys_FalseWithoutKeepingAnything()
    {
        using var signer = Identity(5, hybrid: true);
        var cache = new VerifyingKeyCache();
        var signature = signer.Sign(Message);
        var key = signer.PublicKey.Encoded.ToArray();
        var unknownScheme = (byte[])key.Clone();
        unknownScheme[0] = 9;
        // The identity point of Ed25519 (y = 1): small order, refused by the decoder.
        var smallOrder = (byte[])key.Clone();
        smallOrder.AsSpan(1, 32).Clear();
        smallOrder[1] = 1;

        Assert.False(cache.Verify([], Message, signature));
        Assert.False(cache.Verify(key.AsSpan(0, key.Length - 1), Message, signature));
        Assert.False(cache.Verify(unknownScheme, Message, signature));
        Assert.False(cache.Verify(smallOrder, Message, signature));
        Assert.False(IdentityPublicKey.TryDecode(smallOrder, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Verify_Full_DropsTheKeyUsedLeastRecently()
    {
        using var a = Identity(6, hybrid: false);
        using var b = Identity(7, hybrid: false);
        using var c = Identity(8, hybrid: false);
        var cache = new VerifyingKeyCache(capacity: 2);
        Assert.True(cache.Verify(a.PublicKey.Encoded, Message, a.Sign(Message)));
        Assert.True(cache.Verify(b.PublicKey.Encoded, Message, b.Sign(Message)));
        Assert.True(cache.Verify(a.PublicKey.Encoded, Message, a.Sign(Message))); // a used after b
        Assert.True(cache.Verify(c.PublicKey.Encoded, Message, c.Sign(Message))); // b goes
        Assert.Equal(2, cache.Count);

        var misses = cache.Misses;
        Assert.True(cache.Verify(a.PublicKey.Encoded, Message, a.Sign(Message)));
        Assert.True(cache.Verify(c.PublicKey.Encoded, Message, c.Sign(Message)));
        Assert.Equal(misses, cache.Misses);
        Assert.True(cache.Verify(b.PublicKey.Encoded, Message, b.Sign(Message)));
        Assert.Equal(misses + 1, cache.Misses);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Verify_CapacityZero_KeepsNothingAndStillVerifies()
    {
        using var signer = Identity(9, hybrid: true);
        var cache = new VerifyingKeyCache(capacity: 0);
        Assert.True(cache.Verify(signer.PublicKey.Encoded, Message, signer.Sign(Message)));
        Assert.True(cache.Verify(signer.PublicKey.Encoded, Message, signer.Sign(Message)));
        Assert.Equal((0, 0L, 2L), (cache.Count, cache.Hits, cache.Misses));
    }

    private static NodeIdentity Identity(byte seed, bool hybrid)
    {
        var bytes = new byte[32];
        bytes[0] = seed;
        return hybrid ? NodeIdentity.FromSeed(bytes) : NodeIdentity.FromEd25519Seed(bytes);
    }
}
