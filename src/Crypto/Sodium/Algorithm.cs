namespace Overlay.Crypto.Sodium;

/// <summary>
/// A libsodium primitive. An algorithm holds no secrets: it operates on <see cref="Key"/> objects,
/// which hold the secret in unmanaged memory, and on <see cref="PublicKey"/> values.
/// </summary>
public abstract class Algorithm
{
    private protected Algorithm()
    {
    }

    /// <summary>Ed25519 signatures (RFC 8032, libsodium's verification rules).</summary>
    public static Ed25519Algorithm Ed25519 { get; } = new();

    /// <summary>X25519 key agreement (RFC 7748).</summary>
    public static X25519Algorithm X25519 { get; } = new();

    /// <summary>ChaCha20-Poly1305 with a 96-bit nonce (RFC 8439, libsodium's IETF construction).</summary>
    public static AeadAlgorithm ChaCha20Poly1305 { get; } = new(AeadAlgorithm.Construction.ChaCha20Poly1305Ietf);

    /// <summary>XChaCha20-Poly1305 with a 192-bit nonce, safe to draw at random.</summary>
    public static AeadAlgorithm XChaCha20Poly1305 { get; } = new(AeadAlgorithm.Construction.XChaCha20Poly1305Ietf);

    /// <summary>The algorithm's conventional name.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Size in bytes of the private key as imported and exported: the seed for Ed25519, the scalar for
    /// X25519, the symmetric key for an AEAD.
    /// </summary>
    public abstract int PrivateKeySize { get; }

    /// <summary>Size in bytes of the public key; 0 for symmetric algorithms.</summary>
    public abstract int PublicKeySize { get; }

    /// <summary>Bytes of unmanaged memory a key needs. The first <see cref="PrivateKeySize"/> bytes are the private key.</summary>
    internal virtual int StorageSize => PrivateKeySize;

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Fills <paramref name="storage"/> from <paramref name="privateKey"/> (exactly <see cref="PrivateKeySize"/>
    /// bytes) and writes the public key, if any, into <paramref name="publicKey"/>.
    /// </summary>
    internal abstract void InitializeKey(ReadOnlySpan<byte> privateKey, Span<byte> storage, Span<byte> publicKey);
}
