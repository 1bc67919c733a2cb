using System.Buffers.Binary;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// The sealed part of an identity key file: an Argon2id v1.3 key derived from the passphrase and the
/// file's own salt, and the secret under XChaCha20-Poly1305 with every byte before it as associated
/// data, so no header field can be swapped without the passphrase noticing. Layout (see
/// <see cref="IdentityKeyFile"/>): key derivation id, passes, memory in KiB, salt, nonce, then the
/// sealed secret with its tag.
/// </summary>
internal static class KeyFileSeal
{
    private const byte KdfArgon2id13 = 1;

    /// <summary>Bytes of the key derivation block: id, passes, memory in KiB, salt.</summary>
    public const int KdfBlockSize = 1 + 4 + 4 + Argon2id.SaltSize;

    public const int NonceSize = 24;

    /// <summary>Bytes between the public key and the sealed secret.</summary>
    public const int HeaderSize = KdfBlockSize + NonceSize;

    private static AeadAlgorithm Aead => Algorithm.XChaCha20Poly1305;

    /// <summary>
    /// Writes the key derivation block, a fresh nonce and the sealed secret of <paramref name="identity"/>
    /// at <paramref name="offset"/>, with <c>destination[..offset]</c> and the block as associated data;
    /// returns the offset after the tag.
    /// </summary>
    public static int Seal(NodeIdentity identity, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, Span<byte> destination, int offset, string path)
    {
        var o = offset;
        var cost = options.KeyDerivation;
        destination[o] = KdfArgon2id13;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(o + 1)..], (uint)cost.OpsLimit);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(o + 5)..], (uint)(cost.MemoryBytes / 1024));
        var salt = destination.Slice(o + 9, Argon2id.SaltSize);
        SodiumLibrary.RandomBytes(salt);
        o += KdfBlockSize;
        // A random 192-bit nonce cannot repeat in practice, and each file has its own salt and key anyway.
        var nonce = destination.Slice(o, NonceSize);
        SodiumLibrary.RandomBytes(nonce);
        o += NonceSize;

        if (!Argon2id.TryDeriveKey(passphrase, salt, cost, Aead, out var key))
        {
            throw new KeyFileException(KeyFileError.KeyDerivationFailed, path,
                $"Argon2id could not allocate {cost.MemoryBytes} bytes to seal the identity key file '{path}'; lower the memory cost or free memory.");
        }

        var secretSize = identity.SecretSize;
        Span<byte> secret = stackalloc byte[NodeIdentity.HybridSecretSize];
        try
        {
            secret = secret[..identity.ExportSecret(secret)];
            Aead.Encrypt(key, nonce, destination[..o], secret, destination.Slice(o, secretSize + AeadAlgorithm.TagSize));
        }
        finally
        {
            SodiumLibrary.Zero(secret);
            key.Dispose();
        }

        return o + secretSize + AeadAlgorithm.TagSize;
    }

    /// <summary>
    /// Opens the sealed secret of a file whose every other field was checked (see
    /// <see cref="KeyFileFormat"/>): refuses a key derivation this build does not know or a cost beyond
    /// <paramref name="options"/>' limits before deriving anything, then decrypts into <paramref name="secret"/>.
    /// </summary>
    public static void Open(ReadOnlySpan<byte> file, int secretOffset, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, Span<byte> secret, string path)
    {
        var kdf = file.Slice(secretOffset - HeaderSize, KdfBlockSize);
        if (kdf[0] != KdfArgon2id13)
        {
            throw new KeyFileException(KeyFileError.UnsupportedKeyDerivation, path,
                $"The identity key file '{path}' names key derivation function {kdf[0]}, but this build knows only 1 (Argon2id v1.3).");
        }

        var cost = new Argon2idParameters(BinaryPrimitives.ReadUInt32LittleEndian(kdf[1..]), BinaryPrimitives.ReadUInt32LittleEndian(kdf[5..]) * 1024L);
        if (!cost.IsValid)
        {
            throw KeyFileFormat.Corrupted(path, $"its Argon2id cost of {cost.OpsLimit} passes over {cost.MemoryBytes} bytes is below the minimum");
        }

        if (cost.OpsLimit > options.MaxOpsLimit || cost.MemoryBytes > options.MaxMemoryBytes)
        {
            throw new KeyFileException(KeyFileError.UnsupportedKeyDerivation, path,
                $"The identity key file '{path}' asks for Argon2id with {cost.OpsLimit} passes over {cost.MemoryBytes} bytes, more than the allowed {options.MaxOpsLimit} passes over {options.MaxMemoryBytes} bytes.");
        }

        if (passphrase.IsEmpty)
        {
            throw new KeyFileException(KeyFileError.PassphraseRequired, path,
                $"The identity key file '{path}' is sealed with a passphrase, and none was given.");
        }

        if (!Argon2id.TryDeriveKey(passphrase, kdf.Slice(9, Argon2id.SaltSize), cost, Aead, out var key))
        {
            throw new KeyFileException(KeyFileError.KeyDerivationFailed, path,
                $"Argon2id could not allocate the {cost.MemoryBytes} bytes the identity key file '{path}' asks for.");
        }

        try
        {
            var nonce = file.Slice(secretOffset - NonceSize, NonceSize);
            var sealedSecret = file.Slice(secretOffset, secret.Length + AeadAlgorithm.TagSize);
            if (!Aead.Decrypt(key, nonce, file[..secretOffset], sealedSecret, secret))
            {
                // The checksum matched, so the bytes are as written: the passphrase is what differs
                // (or someone rewrote the file and its checksum).
                throw new KeyFileException(KeyFileError.WrongPassphrase, path,
                    $"The passphrase does not open the identity key file '{path}'.");
            }
        }
        finally
        {
            key.Dispose();
        }
    }

    /// <summary>Refuses, before anything is written, a cost that libsodium would reject or that this build would refuse to load.</summary>
    public static void CheckCreateCost(IdentityKeyFileOptions options)
    {
        var cost = options.KeyDerivation;
        if (!cost.IsValid || cost.MemoryBytes % 1024 != 0 || cost.OpsLimit > options.MaxOpsLimit || cost.MemoryBytes > options.MaxMemoryBytes
            || cost.MemoryBytes / 1024 > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"Argon2id cost {cost.OpsLimit} passes over {cost.MemoryBytes} bytes must be valid for libsodium, a whole number of KiB, and within the load limits of {options.MaxOpsLimit} passes and {options.MaxMemoryBytes} bytes.");
        }
    }
}
