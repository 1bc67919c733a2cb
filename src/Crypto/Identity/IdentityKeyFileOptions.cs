using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>Costs used when sealing an identity key file with a passphrase, and the most a load will pay.</summary>
public sealed record IdentityKeyFileOptions
{
    /// <summary>Shared default instance.</summary>
    public static IdentityKeyFileOptions Default { get; } = new();

    /// <summary>
    /// Argon2id cost for new files. Default: 3 passes over 64 MiB, between libsodium's INTERACTIVE and
    /// MODERATE presets: the key is opened once per start, and a small node can spare 64 MiB for a moment.
    /// The memory must be a whole number of KiB (the file stores KiB).
    /// </summary>
    public Argon2idParameters KeyDerivation { get; init; } = new(3, 64L * 1024 * 1024);

    /// <summary>
    /// Largest Argon2id pass count a load accepts (default 16). A file is local input, but a corrupted
    /// or hostile one must not be able to stall the start for hours.
    /// </summary>
    public long MaxOpsLimit { get; init; } = 16;

    /// <summary>Largest Argon2id memory in bytes a load accepts (default 1 GiB).</summary>
    public long MaxMemoryBytes { get; init; } = 1024L * 1024 * 1024;
}
