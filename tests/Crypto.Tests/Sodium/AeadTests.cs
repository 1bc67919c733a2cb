using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class AeadTests
{
    public static TheoryData<string> Algorithms() => new(Algorithm.ChaCha20Poly1305.Name, Algorithm.XChaCha20Poly1305.Name);

    private static AeadAlgorithm ByName(string name) =>
        name == Algorithm.ChaCha20Poly1305.Name ? Algorithm.ChaCha20Poly1305 : Algorithm.XChaCha20Poly1305;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void EncryptDecrypt_RoundTripsAndDetectsEveryTamperedByte(string name)
    {
        var aead = ByName(name);
        using var key = Key.Create(aead);
        var nonce = new byte[aead.NonceSize];
        SodiumLibrary.RandomBytes(nonce);
        var aad = "header"u8.ToArray();
        var message = "the quick brown fox"u8.ToArray();
        var ciphertext = new byte[message.Length + AeadAlgorithm.TagSize];
        aead.Encrypt(key, nonce, aad, message, ciphertext);

        var plaintext = new byte[message.Length];
        Assert.True(aead.Decrypt(key, nonce, aad, ciphertext, plaintext));
        Assert.Equal(message, plaintext);

        for (var i = 0; i < ciphertext.Length; i++)
        {
            ciphertext[i] ^= 0x01;
            Assert.False(aead.Decrypt(key, nonce, aad, ciphertext, plaintext));
            ciphertext[i] ^= 0x01;
        }

        aad[0] ^= 1;
        Assert.False(aead.Decrypt(key, nonce, aad, ciphertext, plaintext));
        aad[0] ^= 1;
        nonce[^1] ^= 1;
        Assert.False(aead.Decrypt(key, nonce, aad, ciphertext, plaintext));
        nonce[^1] ^= 1;
        using var other = Key.Create(aead);
        Assert.False(aead.Decrypt(other, nonce, aad, ciphertext, plaintext));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void EncryptDecrypt_InPlace_Works(string name)
    {
        var aead = ByName(name);
        using var key = Key.Create(aead);
        var nonce = new byte[aead.NonceSize];
        var buffer = new byte[10 + AeadAlgorithm.TagSize];
        "0123456789"u8.CopyTo(buffer);
        aead.Encrypt(key, nonce, [], buffer.AsSpan(0, 10), buffer);
        Assert.False(buffer.AsSpan(0, 10).SequenceEqual("0123456789"u8));
        Assert.True(aead.Decrypt(key, nonce, [], buffer, buffer.AsSpan(0, 10)));
        Assert.True(buffer.AsSpan(0, 10).SequenceEqual("0123456789"u8));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Decrypt_ShorterThanTag_ReturnsFalse(string name)
    {
        var aead = ByName(name);
        using var key = Key.Create(aead);
        var nonce = new byte[aead.NonceSize];
        for (var length = 0; length < AeadAlgorithm.TagSize; length++)
        {
            Assert.False(aead.Decrypt(key, nonce, [], new byte[length], []));
        }

        // An empty message still carries a tag, which must verify.
        var sealedEmpty = new byte[AeadAlgorithm.TagSize];
        aead.Encrypt(key, nonce, [], [], sealedEmpty);
        Assert.True(aead.Decrypt(key, nonce, [], sealedEmpty, []));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void EncryptDecrypt_ArgumentErrors_Throw(string name)
    {
        var aead = ByName(name);
        using var key = Key.Create(aead);
        using var wrong = Key.Create(Algorithm.Ed25519);
        var nonce = new byte[aead.NonceSize];
        var buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => aead.Encrypt(key, nonce.AsSpan(1), [], buffer.AsSpan(0, 8), buffer.AsSpan(8, 24)));
        Assert.Throws<ArgumentException>(() => aead.Encrypt(key, nonce, [], buffer.AsSpan(0, 8), buffer.AsSpan(8, 23)));
        Assert.Throws<ArgumentException>(() => aead.Encrypt(wrong, nonce, [], buffer.AsSpan(0, 8), buffer.AsSpan(8, 24)));
        // Partial overlap (output starts inside the input) would read already-written bytes.
        Assert.Throws<ArgumentException>(() => aead.Encrypt(key, nonce, [], buffer.AsSpan(0, 8), buffer.AsSpan(4, 24)));
        Assert.Throws<ArgumentException>(() => aead.Decrypt(key, nonce, [], buffer.AsSpan(0, 24), buffer.AsSpan(0, 9)));
        Assert.Throws<ArgumentException>(() => aead.Decrypt(key, nonce, [], buffer.AsSpan(0, 24), buffer.AsSpan(2, 8)));
        Assert.Throws<ArgumentException>(() => Key.Import(aead, new byte[16]));
    }
}
