using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>X25519 Diffie-Hellman (RFC 7748): 32-byte scalars and u-coordinates, 32-byte shared secrets.</summary>
public sealed unsafe class X25519Algorithm : Algorithm
{
    /// <summary>Private scalar size in bytes (libsodium clamps it on use).</summary>
    public const int PrivateKeyLength = Libsodium.crypto_scalarmult_curve25519_SCALARBYTES;

    /// <summary>Public key size in bytes.</summary>
    public const int PublicKeyLength = Libsodium.crypto_scalarmult_curve25519_BYTES;

    /// <summary>Shared secret size in bytes.</summary>
    public const int SharedSecretSize = Libsodium.crypto_scalarmult_curve25519_BYTES;

    internal X25519Algorithm()
    {
    }

    /// <inheritdoc />
    public override string Name => "X25519";

    /// <inheritdoc />
    public override int PrivateKeySize => PrivateKeyLength;

    /// <inheritdoc />
    public override int PublicKeySize => PublicKeyLength;

    /// <summary>
    /// Computes the raw shared secret of <paramref name="key"/> and the peer's public key into
    /// <paramref name="sharedSecret"/> (at least 32 bytes). The result is raw curve output: hash it with
    /// both public keys before using it as a key. Never throws on the untrusted peer key.
    /// </summary>
    public KeyAgreementResult Agree(Key key, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.EnsureAlgorithm(this, nameof(key));
        if (sharedSecret.Length < SharedSecretSize)
        {
            throw new ArgumentException($"An X25519 shared secret needs {SharedSecretSize} bytes of space.", nameof(sharedSecret));
        }

        if (peerPublicKey.Length != PublicKeyLength)
        {
            return KeyAgreementResult.InvalidPublicKeyLength;
        }

        using var lease = key.Handle.Acquire();
        fixed (byte* q = sharedSecret)
        fixed (byte* p = peerPublicKey)
        {
            // libsodium returns -1 exactly when the output would be all zeros (some builds refuse small-order
            // points before multiplying and leave q untouched, so it is wiped here to leave nothing behind).
            if (Libsodium.crypto_scalarmult_curve25519(q, lease.Pointer, p) == 0)
            {
                return KeyAgreementResult.Success;
            }

            Libsodium.sodium_memzero(q, SharedSecretSize);
            return KeyAgreementResult.ZeroSharedSecret;
        }
    }

    internal override void InitializeKey(ReadOnlySpan<byte> privateKey, Span<byte> storage, Span<byte> publicKey)
    {
        privateKey.CopyTo(storage);
        fixed (byte* n = storage)
        fixed (byte* q = publicKey)
        {
            // Fails only if the scalar clamps to zero, which clamping rules out.
            if (Libsodium.crypto_scalarmult_curve25519_base(q, n) != 0)
            {
                throw new InvalidOperationException("libsodium failed to derive an X25519 public key.");
            }
        }
    }
}
