using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>
/// Ed25519 signatures (RFC 8032) as libsodium implements them: keys come from a 32-byte seed,
/// signatures are 64 bytes and detached. Verification rejects non-canonical encodings and small-order
/// keys and R values, so one message has one accepted signature per key.
/// </summary>
public sealed unsafe class Ed25519Algorithm : Algorithm
{
    /// <summary>Seed (private key) size in bytes.</summary>
    public const int SeedSize = Libsodium.crypto_sign_ed25519_SEEDBYTES;

    /// <summary>Public key size in bytes.</summary>
    public const int PublicKeyLength = Libsodium.crypto_sign_ed25519_PUBLICKEYBYTES;

    /// <summary>Signature size in bytes.</summary>
    public const int SignatureSize = Libsodium.crypto_sign_ed25519_BYTES;

    internal Ed25519Algorithm()
    {
    }

    /// <inheritdoc />
    public override string Name => "Ed25519";

    /// <inheritdoc />
    public override int PrivateKeySize => SeedSize;

    /// <inheritdoc />
    public override int PublicKeySize => PublicKeyLength;

    // libsodium's 64-byte secret key: seed followed by the public key, so the seed exports from the front.
    internal override int StorageSize => Libsodium.crypto_sign_ed25519_SECRETKEYBYTES;

    /// <summary>
    /// Signs <paramref name="message"/> with <paramref name="key"/> into <paramref name="signature"/>
    /// (at least <see cref="SignatureSize"/> bytes) and returns the number of bytes written.
    /// </summary>
    public int Sign(Key key, ReadOnlySpan<byte> message, Span<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.EnsureAlgorithm(this, nameof(key));
        if (signature.Length < SignatureSize)
        {
            throw new ArgumentException($"An Ed25519 signature needs {SignatureSize} bytes of space.", nameof(signature));
        }

        using var lease = key.Handle.Acquire();
        fixed (byte* s = signature)
        fixed (byte* m = message)
        {
            // Cannot fail for a well-formed secret key; the return value is checked for a broken library.
            if (Libsodium.crypto_sign_ed25519_detached(s, null, m, (ulong)message.Length, lease.Pointer) != 0)
            {
                throw new InvalidOperationException("libsodium failed to produce an Ed25519 signature.");
            }
        }

        return SignatureSize;
    }

    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="message"/> by <paramref name="publicKey"/>.</summary>
    public bool Verify(PublicKey publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return ReferenceEquals(publicKey.Algorithm, this) && Verify(publicKey.Bytes, message, signature);
    }

    /// <summary>
    /// Verifies against a raw 32-byte public key. Never throws on untrusted input: a key or signature of
    /// the wrong length is simply not valid.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeyLength || signature.Length != SignatureSize)
        {
            return false;
        }

        SodiumLibrary.EnsureInitialized();
        fixed (byte* pk = publicKey)
        fixed (byte* m = message)
        fixed (byte* s = signature)
        {
            return Libsodium.crypto_sign_ed25519_verify_detached(s, m, (ulong)message.Length, pk) == 0;
        }
    }

    /// <summary>
    /// True when <paramref name="publicKey"/> is a canonical encoding of a point of the prime-order
    /// subgroup other than a small-order point: the keys an honest key generator produces.
    /// </summary>
    public bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeyLength)
        {
            return false;
        }

        SodiumLibrary.EnsureInitialized();
        fixed (byte* p = publicKey)
        {
            return Libsodium.crypto_core_ed25519_is_valid_point(p) == 1;
        }
    }

    internal override void InitializeKey(ReadOnlySpan<byte> privateKey, Span<byte> storage, Span<byte> publicKey)
    {
        fixed (byte* seed = privateKey)
        fixed (byte* sk = storage)
        fixed (byte* pk = publicKey)
        {
            if (Libsodium.crypto_sign_ed25519_seed_keypair(pk, sk, seed) != 0)
            {
                throw new InvalidOperationException("libsodium failed to derive an Ed25519 key pair.");
            }
        }
    }
}
