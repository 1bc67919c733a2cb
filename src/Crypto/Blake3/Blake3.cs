using PackageHasher = Blake3.Hasher;

namespace Overlay.Crypto;

/// <summary>
/// One-shot BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs) as the node uses it: PeerIds, shard
/// ids, DHT keys, key-file checksums and identity seeds. The hashing is the Blake3 package's (managed,
/// SIMD, chosen at run time); this class is the one place the rest of the node reaches it through.
/// </summary>
public static class Blake3
{
    /// <summary>Default output length in bytes.</summary>
    public const int HashSize = 32;

    /// <summary>Hashes <paramref name="input"/>, filling all of <paramref name="output"/> (any length). Allocates nothing.</summary>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output) => PackageHasher.Hash(input, output);

    /// <summary>
    /// Derives key material from <paramref name="keyMaterial"/> under a hard-coded, globally unique
    /// <paramref name="context"/> string (BLAKE3 derive-key mode), filling all of <paramref name="output"/>.
    /// </summary>
    public static void DeriveKey(string context, ReadOnlySpan<byte> keyMaterial, Span<byte> output)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Disposing clears the hasher's buffers, which held the (secret) key material.
        using var hasher = PackageHasher.NewDeriveKey(context);
        hasher.Update(keyMaterial);
        hasher.Finalize(output);
    }
}
