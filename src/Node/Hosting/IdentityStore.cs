using Overlay.Crypto;

namespace Overlay.Node.Hosting;

/// <summary>The node identity's key file inside the data directory, and where its passphrase comes from.</summary>
public sealed class IdentityStore
{
    /// <summary>File name of the identity key inside the data directory.</summary>
    public const string FileName = "identity.key";

    /// <summary>Environment variable that may hold the key file's passphrase.</summary>
    public const string PassphraseVariable = "OVERLAY_KEY_PASSPHRASE";

    private readonly string _passphrase;

    public IdentityStore(string dataDirectory, string? passphraseFile, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        KeyFilePath = Path.Combine(dataDirectory, FileName);
        _passphrase = ReadPassphrase(passphraseFile, environment);
    }

    public string KeyFilePath { get; }

    public bool Exists => File.Exists(KeyFilePath);

    /// <summary>Loads the identity; a missing, unreadable or damaged key file is a <see cref="KeyFileException"/>.</summary>
    public NodeIdentity Load() => IdentityKeyFile.Load(KeyFilePath, _passphrase);

    /// <summary>
    /// Loads the identity, creating a new one only when no key file exists at all: a damaged key
    /// file is never replaced, since the PeerId is the node's name and the operator must decide. An
    /// Ed25519-only key file is migrated to a hybrid Ed25519 + ML-DSA-65 one, which changes the PeerId;
    /// <paramref name="result"/> reports that and the old PeerId.
    /// </summary>
    public NodeIdentity LoadOrCreate(out KeyFileLoadResult result) =>
        IdentityKeyFile.LoadOrCreate(KeyFilePath, _passphrase, IdentityKeyFileOptions.Default, out result);

    private static string ReadPassphrase(string? passphraseFile, Func<string, string?> environment)
    {
        if (passphraseFile is null)
        {
            return environment(PassphraseVariable) ?? string.Empty;
        }

        try
        {
            // One line; a trailing newline from `echo` is not part of the passphrase.
            return File.ReadAllText(passphraseFile).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Cli.CliUsageException($"The passphrase file '{passphraseFile}' cannot be read: {e.Message}", e);
        }
    }
}
