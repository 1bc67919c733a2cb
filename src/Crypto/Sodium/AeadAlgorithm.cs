using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>
/// ChaCha20-Poly1305 (96-bit nonce, RFC 8439) or XChaCha20-Poly1305 (192-bit nonce) in libsodium's
/// combined mode: the ciphertext is the encrypted message followed by the 16-byte tag.
/// </summary>
public sealed unsafe class AeadAlgorithm : Algorithm
{
    /// <summary>Key size in bytes.</summary>
    public const int KeyLength = 32;

    /// <summary>Authentication tag size in bytes.</summary>
    public const int TagSize = 16;

    private readonly Construction _construction;

    internal AeadAlgorithm(Construction construction)
    {
        _construction = construction;
        NonceSize = construction == Construction.ChaCha20Poly1305Ietf
            ? Libsodium.crypto_aead_chacha20poly1305_ietf_NPUBBYTES
            : Libsodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    }

    internal enum Construction
    {
        ChaCha20Poly1305Ietf,
        XChaCha20Poly1305Ietf,
    }

    /// <inheritdoc />
    public override string Name => _construction == Construction.ChaCha20Poly1305Ietf ? "ChaCha20-Poly1305" : "XChaCha20-Poly1305";

    /// <inheritdoc />
    public override int PrivateKeySize => KeyLength;

    /// <inheritdoc />
    public override int PublicKeySize => 0;

    /// <summary>Nonce size in bytes: 12 for ChaCha20-Poly1305, 24 for XChaCha20-Poly1305.</summary>
    public int NonceSize { get; }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/>, which must be exactly
    /// <c>plaintext.Length + TagSize</c> bytes. The two may be the same memory (in-place) but must not
    /// otherwise overlap. A nonce must never repeat under one key.
    /// </summary>
    public void Encrypt(Key key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.EnsureAlgorithm(this, nameof(key));
        CheckNonce(nonce);
        if (ciphertext.Length != plaintext.Length + TagSize)
        {
            throw new ArgumentException($"The ciphertext must be {plaintext.Length + TagSize} bytes (plaintext plus {TagSize}-byte tag), not {ciphertext.Length}.", nameof(ciphertext));
        }

        CheckOverlap(plaintext, ciphertext, nameof(ciphertext));

        using var lease = key.Handle.Acquire();
        fixed (byte* c = ciphertext)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        {
            var result = _construction == Construction.ChaCha20Poly1305Ietf
                ? Libsodium.crypto_aead_chacha20poly1305_ietf_encrypt(c, null, m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, lease.Pointer)
                : Libsodium.crypto_aead_xchacha20poly1305_ietf_encrypt(c, null, m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, lease.Pointer);
            if (result != 0)
            {
                throw new InvalidOperationException($"libsodium refused to encrypt with {Name} (message too long).");
            }
        }
    }

    /// <summary>
    /// Verifies and decrypts <paramref name="ciphertext"/> into <paramref name="plaintext"/>, which must be
    /// exactly <c>ciphertext.Length - TagSize</c> bytes. Returns false, writing nothing, when the tag does
    /// not verify or the ciphertext is shorter than a tag. Never throws on untrusted ciphertext.
    /// </summary>
    public bool Decrypt(Key key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.EnsureAlgorithm(this, nameof(key));
        CheckNonce(nonce);
        if (ciphertext.Length < TagSize)
        {
            return false;
        }

        if (plaintext.Length != ciphertext.Length - TagSize)
        {
            throw new ArgumentException($"The plaintext must be {ciphertext.Length - TagSize} bytes (ciphertext minus {TagSize}-byte tag), not {plaintext.Length}.", nameof(plaintext));
        }

        CheckOverlap(ciphertext, plaintext, nameof(plaintext));

        using var lease = key.Handle.Acquire();
        fixed (byte* m = plaintext)
        fixed (byte* c = ciphertext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        {
            // libsodium checks the tag before writing any plaintext.
            var result = _construction == Construction.ChaCha20Poly1305Ietf
                ? Libsodium.crypto_aead_chacha20poly1305_ietf_decrypt(m, null, null, c, (ulong)ciphertext.Length, ad, (ulong)associatedData.Length, n, lease.Pointer)
                : Libsodium.crypto_aead_xchacha20poly1305_ietf_decrypt(m, null, null, c, (ulong)ciphertext.Length, ad, (ulong)associatedData.Length, n, lease.Pointer);
            return result == 0;
        }
    }

    internal override void InitializeKey(ReadOnlySpan<byte> privateKey, Span<byte> storage, Span<byte> publicKey) => privateKey.CopyTo(storage);

    private void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"A {Name} nonce is {NonceSize} bytes, not {nonce.Length}.", nameof(nonce));
        }
    }

    private static void CheckOverlap(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, string parameterName)
    {
        // In-place (same start) is supported by libsodium; any other overlap would read already-written bytes.
        if (input.Overlaps(output, out var offset) && offset != 0)
        {
            throw new ArgumentException("Input and output may be the same memory but must not partially overlap.", parameterName);
        }
    }
}
