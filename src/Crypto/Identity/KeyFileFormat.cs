using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// The identity key file's byte layout (described on <see cref="IdentityKeyFile"/>): building a file
/// image, and checking and parsing one, with every failure a <see cref="KeyFileException"/> that names
/// the file. No I/O here; the sealed part is <see cref="KeyFileSeal"/>'s.
/// </summary>
internal static class KeyFileFormat
{
    private const int MagicSize = 8;
    private const int PublicKeyOffset = MagicSize + 2;
    private const byte FlagSealed = 0x01;
    private const int ChecksumSize = 32;

    /// <summary>No file of either version is larger than this (a sealed version-2 file); anything larger is refused before it is parsed.</summary>
    internal const int MaxFileSize = PublicKeyOffset + IdentityPublicKey.HybridEncodedSize + KeyFileSeal.HeaderSize
        + NodeIdentity.HybridSecretSize + AeadAlgorithm.TagSize + ChecksumSize;

    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'O', (byte)'V', (byte)'K', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Whether a file image is of the Ed25519-only format version, read from its header alone.</summary>
    public static bool IsEd25519Version(ReadOnlySpan<byte> file) => file.Length > MagicSize && file[MagicSize] == IdentityKeyFile.Ed25519FormatVersion;

    /// <summary>Whether a file image's flags say it is sealed under a passphrase, read from its header alone.</summary>
    public static bool IsSealed(ReadOnlySpan<byte> file) => file.Length > MagicSize + 1 && (file[MagicSize + 1] & FlagSealed) != 0;

    /// <summary>Builds the file image into <paramref name="destination"/> and returns its length.</summary>
    internal static int Encode(NodeIdentity identity, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, Span<byte> destination, string path)
    {
        var sealedFile = !passphrase.IsEmpty;
        Magic.CopyTo(destination);
        destination[MagicSize] = identity.Scheme == IdentityScheme.Ed25519 ? (byte)IdentityKeyFile.Ed25519FormatVersion : (byte)IdentityKeyFile.FormatVersion;
        destination[MagicSize + 1] = sealedFile ? FlagSealed : (byte)0;
        var encodedKey = identity.PublicKey.Encoded;
        encodedKey.CopyTo(destination[PublicKeyOffset..]);
        var o = PublicKeyOffset + encodedKey.Length;

        if (sealedFile)
        {
            o = KeyFileSeal.Seal(identity, passphrase, options, destination, o, path);
        }
        else
        {
            o += identity.ExportSecret(destination[o..]);
        }

        Blake3.Hash(destination[..o], destination.Slice(o, ChecksumSize));
        return o + ChecksumSize;
    }

    /// <summary>Parses a complete file image; every failure is a <see cref="KeyFileException"/> naming <paramref name="path"/>.</summary>
    internal static NodeIdentity Decode(ReadOnlySpan<byte> file, string path, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options)
    {
        var publicKey = Validate(file, path, out var sealedFile, out var secretOffset, out var secretSize);
        if (!sealedFile)
        {
            return Matching(FromSecret(publicKey.Scheme, file.Slice(secretOffset, secretSize)), publicKey, path);
        }

        Span<byte> secret = stackalloc byte[NodeIdentity.HybridSecretSize];
        secret = secret[..secretSize];
        try
        {
            KeyFileSeal.Open(file, secretOffset, passphrase, options, secret, path);
            return Matching(FromSecret(publicKey.Scheme, secret), publicKey, path);
        }
        finally
        {
            SodiumLibrary.Zero(secret);
        }
    }

    /// <summary>The public key of a complete file image, which is checked whole (but not opened).</summary>
    internal static IdentityPublicKey ReadPublicKey(ReadOnlySpan<byte> file, string path) => Validate(file, path, out _, out _, out _);

    private static NodeIdentity FromSecret(IdentityScheme scheme, ReadOnlySpan<byte> secret) =>
        scheme == IdentityScheme.Ed25519 ? NodeIdentity.FromEd25519Seed(secret) : NodeIdentity.FromHybridSecret(secret);

    /// <summary>
    /// Checks everything but the secret: magic, version, flags, scheme, length and checksum, then the
    /// public key. Returns the public key, where the secret (plain or sealed) starts and its plain size.
    /// </summary>
    private static IdentityPublicKey Validate(ReadOnlySpan<byte> file, string path, out bool sealedFile, out int secretOffset, out int secretSize)
    {
        if (file.Length > MaxFileSize)
        {
            throw Corrupted(path, $"it is larger than any identity key file ({MaxFileSize} bytes)");
        }

        if (file.Length < MagicSize)
        {
            throw Magic.StartsWith(file) ? Truncated(path, file.Length, null) : WrongMagic(path);
        }

        if (!file.StartsWith(Magic))
        {
            throw WrongMagic(path);
        }

        if (file.Length <= MagicSize)
        {
            throw Truncated(path, file.Length, null);
        }

        var version = file[MagicSize];
        if (version is not (IdentityKeyFile.FormatVersion or IdentityKeyFile.Ed25519FormatVersion))
        {
            throw new KeyFileException(KeyFileError.UnsupportedVersion, path,
                $"The identity key file '{path}' has format version {version}, but this build reads versions {IdentityKeyFile.Ed25519FormatVersion} and {IdentityKeyFile.FormatVersion} only.");
        }

        if (file.Length <= MagicSize + 1)
        {
            throw Truncated(path, file.Length, null);
        }

        var flags = file[MagicSize + 1];
        if ((flags & ~FlagSealed) != 0)
        {
            throw Corrupted(path, $"its flags byte 0x{flags:x2} sets bits this format does not define");
        }

        sealedFile = (flags & FlagSealed) != 0;
        if (file.Length <= PublicKeyOffset)
        {
            throw Truncated(path, file.Length, null);
        }

        // Each format version holds exactly one scheme, so the version alone says what the file is.
        var scheme = file[PublicKeyOffset];
        var versionScheme = version == IdentityKeyFile.FormatVersion ? IdentityScheme.HybridEd25519MlDsa65 : IdentityScheme.Ed25519;
        if (scheme != (byte)versionScheme || !IdentityPublicKey.TryGetEncodedSize(scheme, out var publicKeySize))
        {
            throw new KeyFileException(KeyFileError.UnsupportedScheme, path,
                $"The identity key file '{path}' holds a key of signature scheme {scheme}, but its format version {version} holds only scheme {(byte)versionScheme}.");
        }

        secretSize = versionScheme == IdentityScheme.Ed25519 ? NodeIdentity.Ed25519SecretSize : NodeIdentity.HybridSecretSize;
        secretOffset = PublicKeyOffset + publicKeySize + (sealedFile ? KeyFileSeal.HeaderSize : 0);
        var expected = secretOffset + secretSize + (sealedFile ? AeadAlgorithm.TagSize : 0) + ChecksumSize;
        if (file.Length < expected)
        {
            throw Truncated(path, file.Length, expected);
        }

        if (file.Length > expected)
        {
            throw Corrupted(path, $"it has {file.Length - expected} bytes after the end of the key");
        }

        Span<byte> checksum = stackalloc byte[ChecksumSize];
        Blake3.Hash(file[..^ChecksumSize], checksum);
        if (!checksum.SequenceEqual(file[^ChecksumSize..]))
        {
            throw Corrupted(path, "its checksum does not match its contents");
        }

        if (!IdentityPublicKey.TryDecode(file.Slice(PublicKeyOffset, publicKeySize), out var publicKey))
        {
            throw Corrupted(path, "its public key is not a valid key of its scheme");
        }

        return publicKey;
    }

    private static NodeIdentity Matching(NodeIdentity identity, IdentityPublicKey expected, string path)
    {
        if (identity.PublicKey.Equals(expected))
        {
            return identity;
        }

        identity.Dispose();
        throw Corrupted(path, "its secret key does not belong to its public key");
    }


    private static KeyFileException WrongMagic(string path) =>
        new(KeyFileError.WrongMagic, path, $"The file '{path}' is not an identity key file (it does not start with the key-file signature).");

    private static KeyFileException Truncated(string path, int length, int? expected) =>
        new(KeyFileError.Truncated, path, expected is null
            ? $"The identity key file '{path}' is truncated: it ends after {length} bytes, inside its header."
            : $"The identity key file '{path}' is truncated: it has {length} of its {expected} bytes.");

    internal static KeyFileException Corrupted(string path, string detail) =>
        new(KeyFileError.Corrupted, path, $"The identity key file '{path}' is corrupted: {detail}.");
}
