using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// Stores a <see cref="NodeIdentity"/> on disk, either in the clear or sealed under a passphrase.
/// </summary>
/// <remarks>
/// Format versions 2 (written) and 1 (still read), all integers little-endian:
/// <code>
///  0   8  magic 89 'O' 'V' 'K' 0D 0A 1A 0A  (PNG-style: catches 7-bit and newline-mangling copies)
///  8   1  format version: 2 holds a hybrid Ed25519 + ML-DSA-65 identity, 1 an Ed25519-only one
///  9   1  flags: bit 0 = sealed under a passphrase; other bits must be 0
/// 10   P  encoded identity public key; its first byte (the scheme) must be the version's scheme and
///         fixes P and the secret size S (version 2, hybrid: P = 1985, S = 64, the Ed25519 seed then
///         the ML-DSA-65 seed ξ; version 1, Ed25519: P = 33, S = 32, the Ed25519 seed). Lets a tool
///         show the PeerId without the passphrase.
/// sealed:  1  key derivation: 1 = Argon2id v1.3
///          4  Argon2id passes (opslimit)
///          4  Argon2id memory in KiB
///         16  salt
///         24  XChaCha20-Poly1305 nonce
///       S+16  the secret, sealed; associated data = every byte before it, so no header field can be
///             swapped without the passphrase noticing
/// plain:   S  the secret
///         32  BLAKE3-256 of every byte before it: truncation and bit rot are reported as such,
///             before any passphrase is tried
/// </code>
/// <see cref="Load(string, ReadOnlySpan{char})"/> returns what the file holds, so a version-1 file gives
/// an Ed25519-only identity with its old PeerId. <see cref="LoadOrCreate"/>, which a node calls to run,
/// migrates a version-1 file to version 2: it keeps the Ed25519 seed, adds a fresh ML-DSA-65 seed,
/// rewrites the file in place (atomically, sealed again if it was sealed) and reports the migration,
/// because the PeerId changes with it.
/// Files are created 0600 through a temporary file and a no-replace rename, so a crash never leaves a
/// half-written key at the path and an existing key is never overwritten. Loading refuses files that
/// group or others can read or write. Every failure is a <see cref="KeyFileException"/>.
/// This class decides what to create, load or migrate; the layout is <see cref="KeyFileFormat"/>'s, the
/// passphrase sealing <see cref="KeyFileSeal"/>'s and the file handling <see cref="KeyFileIO"/>'s.
/// </remarks>
public static class IdentityKeyFile
{
    /// <summary>The format version this build writes for new (hybrid) identities.</summary>
    public const int FormatVersion = 2;

    /// <summary>The older Ed25519-only format version, still read and migrated by <see cref="LoadOrCreate"/>.</summary>
    public const int Ed25519FormatVersion = 1;

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
            KeyFileSeal.CheckCreateCost(options);
        }

        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath) || Directory.Exists(fullPath))
        {
            throw KeyFileIO.AlreadyExists(path);
        }

        Span<byte> image = stackalloc byte[KeyFileFormat.MaxFileSize];
        try
        {
            var length = KeyFileFormat.Encode(identity, passphrase, options, image, path);
            KeyFileIO.WriteNew(path, fullPath, image[..length]);
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
        Span<byte> data = stackalloc byte[KeyFileFormat.MaxFileSize + 1];
        try
        {
            var length = KeyFileIO.ReadPrivateFile(path, data);
            return KeyFileFormat.Decode(data[..length], path, passphrase, options);
        }
        finally
        {
            SodiumLibrary.Zero(data);
        }
    }

    /// <summary>
    /// Loads the identity at <paramref name="path"/> to run a node: only when no file exists there does it
    /// generate a new hybrid identity from the CSPRNG and create the file, and an Ed25519-only (version 1)
    /// file is migrated to a hybrid (version 2) one. An existing file that fails to load is reported, never
    /// replaced. <paramref name="result"/> tells which happened, and after a migration the old PeerId.
    /// </summary>
    /// <exception cref="KeyFileException">The file could not be loaded, created or migrated.</exception>
    public static NodeIdentity LoadOrCreate(string path, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, out KeyFileLoadResult result)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        NodeIdentity loaded;
        try
        {
            loaded = Load(path, passphrase, options);
        }
        catch (KeyFileException e) when (e.Reason == KeyFileError.NotFound && !Directory.Exists(path))
        {
            return Create(path, passphrase, options, out result);
        }

        if (loaded.Scheme == IdentityScheme.HybridEd25519MlDsa65)
        {
            result = default;
            return loaded;
        }

        using (loaded)
        {
            return Migrate(path, loaded, passphrase, options, out result);
        }
    }

    private static NodeIdentity Create(string path, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, out KeyFileLoadResult result)
    {
        var identity = NodeIdentity.Generate();
        try
        {
            Create(path, identity, passphrase, options);
            result = new KeyFileLoadResult(Created: true, Migrated: false, PreviousPeerId: null);
            return identity;
        }
        catch (KeyFileException e) when (e.Reason == KeyFileError.AlreadyExists)
        {
            // Another process created it first: use theirs, so both end up with one identity.
            identity.Dispose();
            result = default;
            return Load(path, passphrase, options);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Replaces the version-1 file at <paramref name="path"/>, which holds <paramref name="legacy"/>, by a
    /// version-2 file of the hybrid identity with the same Ed25519 key. Sealed again (with a new salt and
    /// nonce and the current cost) when the old file was sealed, plain when it was plain.
    /// </summary>
    private static NodeIdentity Migrate(string path, NodeIdentity legacy, ReadOnlySpan<char> passphrase, IdentityKeyFileOptions options, out KeyFileLoadResult result)
    {
        var fullPath = Path.GetFullPath(path);
        Span<byte> before = stackalloc byte[KeyFileFormat.MaxFileSize + 1];
        Span<byte> image = stackalloc byte[KeyFileFormat.MaxFileSize];
        var hybrid = legacy.UpgradeToHybrid();
        try
        {
            var beforeLength = KeyFileIO.ReadPrivateFile(path, before);
            if (!KeyFileFormat.IsEd25519Version(before[..beforeLength]))
            {
                // Rewritten since it was loaded (another process migrated it): use what is there now.
                hybrid.Dispose();
                result = default;
                return Load(path, passphrase, options);
            }

            var wasSealed = KeyFileFormat.IsSealed(before[..beforeLength]);
            if (wasSealed)
            {
                KeyFileSeal.CheckCreateCost(options);
            }

            var length = KeyFileFormat.Encode(hybrid, wasSealed ? passphrase : default, options, image, path);
            KeyFileIO.Replace(path, fullPath, image[..length], before[..beforeLength]);
            result = new KeyFileLoadResult(Created: false, Migrated: true, PreviousPeerId: legacy.PeerId);
            return hybrid;
        }
        catch
        {
            hybrid.Dispose();
            throw;
        }
        finally
        {
            SodiumLibrary.Zero(before);
            SodiumLibrary.Zero(image);
        }
    }

    /// <summary>
    /// Reads only the public key (and so the PeerId) from a key file, without a passphrase. The whole
    /// file is still checked, including its permissions.
    /// </summary>
    public static IdentityPublicKey ReadPublicKey(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> data = stackalloc byte[KeyFileFormat.MaxFileSize + 1];
        try
        {
            var length = KeyFileIO.ReadPrivateFile(path, data);
            return KeyFileFormat.ReadPublicKey(data[..length], path);
        }
        finally
        {
            SodiumLibrary.Zero(data);
        }
    }

}
