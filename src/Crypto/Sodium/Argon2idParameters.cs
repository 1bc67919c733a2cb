namespace Overlay.Crypto.Sodium;

/// <summary>
/// Cost of one Argon2id derivation: <paramref name="OpsLimit"/> passes over <paramref name="MemoryBytes"/>
/// bytes of memory (libsodium's opslimit and memlimit).
/// </summary>
/// <param name="OpsLimit">Number of passes, at least <see cref="MinimumOpsLimit"/>.</param>
/// <param name="MemoryBytes">Memory in bytes, at least <see cref="MinimumMemoryBytes"/>; rounded down to whole KiB by Argon2.</param>
public readonly record struct Argon2idParameters(long OpsLimit, long MemoryBytes)
{
    /// <summary>crypto_pwhash_argon2id_OPSLIMIT_MIN.</summary>
    public const long MinimumOpsLimit = 1;

    /// <summary>crypto_pwhash_argon2id_OPSLIMIT_MAX (the Argon2 pass counter is 32-bit).</summary>
    public const long MaximumOpsLimit = uint.MaxValue;

    /// <summary>crypto_pwhash_argon2id_MEMLIMIT_MIN: 8 KiB.</summary>
    public const long MinimumMemoryBytes = 8192;

    /// <summary>crypto_pwhash_argon2id_MEMLIMIT_MAX on 64-bit platforms (4 TiB less 1 KiB).</summary>
    public const long MaximumMemoryBytes = 4398046510080;

    /// <summary>libsodium's INTERACTIVE preset: 2 passes over 64 MiB.</summary>
    public static Argon2idParameters Interactive { get; } = new(2, 64L * 1024 * 1024);

    /// <summary>libsodium's MODERATE preset: 3 passes over 256 MiB.</summary>
    public static Argon2idParameters Moderate { get; } = new(3, 256L * 1024 * 1024);

    /// <summary>True when libsodium accepts these values.</summary>
    public bool IsValid =>
        OpsLimit is >= MinimumOpsLimit and <= MaximumOpsLimit && MemoryBytes is >= MinimumMemoryBytes and <= MaximumMemoryBytes;
}
