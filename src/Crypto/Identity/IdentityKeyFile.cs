using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// Stores a <see cref="NodeIdentity"/> on disk, either in the clear or sealed under a passphrase.
/// </summary>
/// <remarks>
/// Format version 1, all integers little-endian:
/// <code>
///  0   8  magic 89 'O' 'V' 'K' 0D 0A 1A 0A  (PNG-style: catches 7-bit and newline-mangling copies)
///  8   1  format version = 1
///  9   1  flags: bit 0 = sealed under a passphrase; other bits must be 0
/// 10   P  encoded identity public key; its first byte (the scheme) fixes P and the seed size S
///         (Ed25519: P = 33, S = 32). Lets a tool show the PeerId without the passphrase.
/// sealed:  1  key derivation: 1 = Argon2id v1.3
///          4  Argon2id passes (opslimit)
///          4  Argon2id memory in KiB
///         16  salt
///         24  XChaCha20-Poly1305 nonce
///       S+16  the seed, sealed; associated data = every byte before it, so no header field can be
///             swapped without the passphrase noticing
/// plain:   S  the seed
///         32  BLAKE3-256 of every byte before it: truncation and bit rot are reported as such,
///             before any passphrase is tried
/// </code>
/// Files are created 0600 through a temporary file and a no-replace rename, so a crash never leaves a
/// half-written key at the path and an existing key is never overwritten. Loading refuses files that
/// group or others can read or write. Every failure is a <see cref="KeyFileException"/>.
/// </remarks>
public static class IdentityKeyFile
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>No version-1 file is larger than this; anything larger is refused before it is parsed.</summary>
    internal const int MaxFileSize = 512;

    private const int MagicSize = 8;
    private const int PublicKeyOffset = MagicSize + 2;
    private const byte FlagSealed = 0x01;
    private const byte KdfArgon2id13 = 1;
    private const int ChecksumSize = 32;
    private const int KdfBlockSize = 1 + 4 + 4 + Argon2id.SaltSize;
    private const int NonceSize = 24;

    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'O', (byte)'V', (byte)'K', 0x0D, 0x0A, 0x1A, 0x0A];

    private static AeadAlgorithm Aead => Algorithm.XChaCha20Poly1305;

    /// <summary>
    /// Writes <paramref name="identity"/> to a new file at <paramref name="path"/> with mode 0600. With a
    /// non-empty <paramref name="passphrase"/> the seed is sealed with XChaCha20-Poly1305 under an
    /// Argon2id-derived key. Never replaces an existing file.
    /// </summary>
    /// <exception cref="KeyFileException">The file exists, or it could not be written.</exception>
    public static void Create(string path, NodeIdentity identity, ReadOnlySpan<char> passphrase = default) =>
        Create(path, identity, passphrase, IdentityKeyFileOptions.Default);

    /// <summary>As <see cref="Create(string, NodeIdentity, ReadOnlySpan{char})"/>, with explicit Argon2id costs.</summary>
    public static void Create(string path, NodeIdentity identity, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        if (!passphrase.IsEmpty)
        {
            CheckCreateCost(options);
        }

        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath) || Directory.Exists(fullPath))
        {
            throw AlreadyExists(path);
        }

        Span<byte> image = stackalloc byte[MaxFileSize];
        try
        {
            var length = Encode(identity, passphrase, options, image, path);
            WriteNew(path, fullPath, image[..length]);
        }
        finally
        {
            SodiumLibrary.Zero(image);
        }
    }

    /// <summary>Reads the identity from <paramref name="path"/>, opening it with <paramref name="passphrase"/> if it is sealed.</summary>
    /// <exception cref="KeyFileException">The file is missing, too open, malformed, or the passphrase is missing or wrong.</exception>
    public static NodeIdentity Load(string path, ReadOnlySpan<char> passphrase) => Load(path, passphrase, IdentityKeyFileOptions.Default);

    /// <summary>As <see cref="Load(string, ReadOnlySpan{char})"/>, with explicit limits on the Argon2id cost a file may ask for.</summary>
    public static NodeIdentity Load(string path, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        Span<byte> data = stackalloc byte[MaxFileSize + 1];
        try
        {
            var length = ReadPrivateFile(path, data);
            return Decode(data[..length], path, passphrase, options);
        }
        finally
        {
            SodiumLibrary.Zero(data);
        }
    }

    /// <summary>
    /// Loads the identity at <paramref name="path"/>, or, only when no file exists there, generates a new
    /// one from the CSPRNG and creates the file. An existing file that fails to load is reported, never
    /// replaced. <paramref name="created"/> tells which happened.
    /// </summary>
    public static NodeIdentity LoadOrCreate(string path, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, out bool created)
    {
        try
        {
            created = false;
            return Load(path, passphrase, options);
        }
        catch (KeyFileException e) when (e.Reason == KeyFileError.NotFound && !Directory.Exists(path))
        {
            // Fall through to create; the no-replace rename settles a race with another process.
        }

        var identity = NodeIdentity.Generate();
        try
        {
            Create(path, identity, passphrase, options);
            created = true;
            return identity;
        }
        catch (KeyFileException e) when (e.Reason == KeyFileError.AlreadyExists)
        {
            // Another process created it first: use theirs, so both end up with one identity.
            identity.Dispose();
            created = false;
            return Load(path, passphrase, options);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads only the public key (and so the PeerId) from a key file, without a passphrase. The whole
    /// file is still checked, including its permissions.
    /// </summary>
    public static IdentityPublicKey ReadPublicKey(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> data = stackalloc byte[MaxFileSize + 1];
        try
        {
            var length = ReadPrivateFile(path, data);
            return Validate(data[..length], path, out _, out _);
        }
        finally
        {
            SodiumLibrary.Zero(data);
        }
    }

    /// <summary>Builds the file image into <paramref name="destination"/> and returns its length.</summary>
    internal static int Encode(NodeIdentity identity, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, Span<byte> destination, string path)
    {
        var sealedFile = !passphrase.IsEmpty;
        Magic.CopyTo(destination);
        destination[MagicSize] = FormatVersion;
        destination[MagicSize + 1] = sealedFile ? FlagSealed : (byte)0;
        var encodedKey = identity.PublicKey.Encoded;
        encodedKey.CopyTo(destination[PublicKeyOffset..]);
        var o = PublicKeyOffset + encodedKey.Length;

        if (sealedFile)
        {
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

            Span<byte> seed = stackalloc byte[NodeIdentity.SeedSize];
            try
            {
                identity.ExportSeed(seed);
                Aead.Encrypt(key, nonce, destination[..o], seed, destination.Slice(o, seed.Length + AeadAlgorithm.TagSize));
            }
            finally
            {
                SodiumLibrary.Zero(seed);
                key.Dispose();
            }

            o += NodeIdentity.SeedSize + AeadAlgorithm.TagSize;
        }
        else
        {
            o += identity.ExportSeed(destination[o..]);
        }

        Blake3.Hash(destination[..o], destination.Slice(o, ChecksumSize));
        return o + ChecksumSize;
    }

    /// <summary>Parses a complete file image; every failure is a <see cref="KeyFileException"/> naming <paramref name="path"/>.</summary>
    internal static NodeIdentity Decode(ReadOnlySpan<byte> file, string path, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options)
    {
        var publicKey = Validate(file, path, out var sealedFile, out var secretOffset);
        if (!sealedFile)
        {
            return Matching(NodeIdentity.FromSeed(file.Slice(secretOffset, NodeIdentity.SeedSize)), publicKey, path);
        }

        var kdf = file.Slice(secretOffset - KdfBlockSize - NonceSize, KdfBlockSize);
        if (kdf[0] != KdfArgon2id13)
        {
            throw new KeyFileException(KeyFileError.UnsupportedKeyDerivation, path,
                $"The identity key file '{path}' names key derivation function {kdf[0]}, but this build knows only 1 (Argon2id v1.3).");
        }

        var cost = new Argon2idParameters(BinaryPrimitives.ReadUInt32LittleEndian(kdf[1..]), BinaryPrimitives.ReadUInt32LittleEndian(kdf[5..]) * 1024L);
        if (!cost.IsValid)
        {
            throw Corrupted(path, $"its Argon2id cost of {cost.OpsLimit} passes over {cost.MemoryBytes} bytes is below the minimum");
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

        Span<byte> seed = stackalloc byte[NodeIdentity.SeedSize];
        try
        {
            var nonce = file.Slice(secretOffset - NonceSize, NonceSize);
            var sealedSeed = file.Slice(secretOffset, NodeIdentity.SeedSize + AeadAlgorithm.TagSize);
            if (!Aead.Decrypt(key, nonce, file[..secretOffset], sealedSeed, seed))
            {
                // The checksum matched, so the bytes are as written: the passphrase is what differs
                // (or someone rewrote the file and its checksum).
                throw new KeyFileException(KeyFileError.WrongPassphrase, path,
                    $"The passphrase does not open the identity key file '{path}'.");
            }

            return Matching(NodeIdentity.FromSeed(seed), publicKey, path);
        }
        finally
        {
            SodiumLibrary.Zero(seed);
            key.Dispose();
        }
    }

    /// <summary>
    /// Checks everything but the secret: magic, version, flags, scheme, length and checksum, then the
    /// public key. Returns the public key and where the seed (plain or sealed) starts.
    /// </summary>
    private static IdentityPublicKey Validate(ReadOnlySpan<byte> file, string path, out bool sealedFile, out int secretOffset)
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

        if (file[MagicSize] != FormatVersion)
        {
            throw new KeyFileException(KeyFileError.UnsupportedVersion, path,
                $"The identity key file '{path}' has format version {file[MagicSize]}, but this build reads version {FormatVersion} only.");
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

        var scheme = file[PublicKeyOffset];
        if (!IdentityPublicKey.TryGetEncodedSize(scheme, out var publicKeySize))
        {
            throw new KeyFileException(KeyFileError.UnsupportedScheme, path,
                $"The identity key file '{path}' holds a key of signature scheme {scheme}, which this build does not know.");
        }

        secretOffset = PublicKeyOffset + publicKeySize + (sealedFile ? KdfBlockSize + NonceSize : 0);
        var expected = secretOffset + NodeIdentity.SeedSize + (sealedFile ? AeadAlgorithm.TagSize : 0) + ChecksumSize;
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

    /// <summary>Opens, checks the mode of and reads the file into <paramref name="data"/>; returns the length read.</summary>
    private static int ReadPrivateFile(string path, Span<byte> data)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            CheckMode(handle, path);
            var total = 0;
            while (total < data.Length)
            {
                var read = RandomAccess.Read(handle, data[total..], total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KeyFileException(KeyFileError.NotFound, path, $"The identity key file '{path}' does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileError.IoError, path, $"The identity key file '{path}' could not be read: {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static void CheckMode(SafeFileHandle handle, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows protects the file through its ACL, which the profile directory already restricts.
            return;
        }

        const UnixFileMode groupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var mode = File.GetUnixFileMode(handle);
        if ((mode & groupOrOthers) != 0)
        {
            var octal = Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
            throw new KeyFileException(KeyFileError.PermissionsTooOpen, path,
                $"The identity key file '{path}' has mode {octal}, which gives group or others access to it; run 'chmod 600 {path}' so only its owner can.");
        }
    }

    private static void WriteNew(string path, string fullPath, ReadOnlySpan<byte> image)
    {
        var directory = Path.GetDirectoryName(fullPath)!;
        Span<byte> suffix = stackalloc byte[8];
        SodiumLibrary.RandomBytes(suffix);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Convert.ToHexStringLower(suffix) + ".tmp");
        var moved = false;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                // Unbuffered: no managed buffer ever holds the seed.
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                // Born 0600 (the umask can only remove bits), so the secret is never briefly world-readable.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(image);
                stream.Flush(flushToDisk: true);
            }

            // No-replace rename (link + unlink on Unix): fails if the key appeared meanwhile, and the
            // path holds either nothing or the complete file.
            File.Move(temporary, fullPath, overwrite: false);
            moved = true;
        }
        catch (IOException) when (File.Exists(fullPath))
        {
            throw AlreadyExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileError.IoError, path, $"The identity key file '{path}' could not be written: {e.Message.TrimEnd('.')}.", e);
        }
        finally
        {
            if (!moved)
            {
                TryDelete(temporary);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is 0600 and named as one; failing to remove it must not
            // hide the error that got us here.
        }
    }

    private static void CheckCreateCost(IdentityKeyFileOptions options)
    {
        var cost = options.KeyDerivation;
        if (!cost.IsValid || cost.MemoryBytes % 1024 != 0 || cost.OpsLimit > options.MaxOpsLimit || cost.MemoryBytes > options.MaxMemoryBytes
            || cost.MemoryBytes / 1024 > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"Argon2id cost {cost.OpsLimit} passes over {cost.MemoryBytes} bytes must be valid for libsodium, a whole number of KiB, and within the load limits of {options.MaxOpsLimit} passes and {options.MaxMemoryBytes} bytes.");
        }
    }

    private static KeyFileException AlreadyExists(string path) =>
        new(KeyFileError.AlreadyExists, path,
            $"The identity key file '{path}' already exists, and key files are never replaced; move it away first to create a new identity.");

    private static KeyFileException WrongMagic(string path) =>
        new(KeyFileError.WrongMagic, path, $"The file '{path}' is not an identity key file (it does not start with the key-file signature).");

    private static KeyFileException Truncated(string path, int length, int? expected) =>
        new(KeyFileError.Truncated, path, expected is null
            ? $"The identity key file '{path}' is truncated: it ends after {length} bytes, inside its header."
            : $"The identity key file '{path}' is truncated: it has {length} of its {expected} bytes.");

    private static KeyFileException Corrupted(string path, string detail) =>
        new(KeyFileError.Corrupted, path, $"The identity key file '{path}' is corrupted: {detail}.");
}
