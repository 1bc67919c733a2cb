namespace Overlay.Crypto;

/// <summary>Why an identity key file could not be created or loaded.</summary>
public enum KeyFileError
{
    /// <summary>The file does not exist.</summary>
    NotFound = 1,

    /// <summary>The file exists but could not be opened, read or written (permissions of the process, I/O error).</summary>
    IoError,

    /// <summary>The file is readable or writable by group or others; only its owner may have access.</summary>
    PermissionsTooOpen,

    /// <summary>The file ends before the format says it should.</summary>
    Truncated,

    /// <summary>The file does not start with the key-file signature: it is not an identity key file.</summary>
    WrongMagic,

    /// <summary>The file's format version is not one this build reads.</summary>
    UnsupportedVersion,

    /// <summary>The file holds a key of a signature scheme this build does not know.</summary>
    UnsupportedScheme,

    /// <summary>The checksum does not match, a field holds an impossible value, or the secret does not match the public key.</summary>
    Corrupted,

    /// <summary>The file is encrypted and no passphrase was given.</summary>
    PassphraseRequired,

    /// <summary>The passphrase does not open the file.</summary>
    WrongPassphrase,

    /// <summary>The file asks for a key derivation function or cost this build refuses to run.</summary>
    UnsupportedKeyDerivation,

    /// <summary>Argon2id could not run (it could not allocate the memory it was asked for).</summary>
    KeyDerivationFailed,

    /// <summary>A file already exists at the path; key files are never replaced.</summary>
    AlreadyExists,
}
