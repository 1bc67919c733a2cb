namespace Overlay.Crypto;

/// <summary>One-shot BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs).</summary>
public static class Blake3
{
    /// <summary>Default output length in bytes.</summary>
    public const int HashSize = 32;

    /// <summary>Key length for keyed hashing, in bytes.</summary>
    public const int KeySize = 32;

    /// <summary>Compression block length in bytes.</summary>
    public const int BlockSize = 64;

    /// <summary>Chunk length in bytes: the leaves of the hash tree.</summary>
    public const int ChunkSize = 1024;

    /// <summary>Hashes <paramref name="input"/>, filling all of <paramref name="output"/> (any length).</summary>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var hasher = Blake3Hasher.Create();
        hasher.Update(input);
        hasher.Finalize(output);
    }

    /// <summary>Keyed hash (a MAC / PRF) under a 32-byte key.</summary>
    public static void KeyedHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var hasher = Blake3Hasher.CreateKeyed(key);
        hasher.Update(input);
        hasher.Finalize(output);
    }

    /// <summary>Derives key material from <paramref name="keyMaterial"/> under a hard-coded context string.</summary>
    public static void DeriveKey(string context, ReadOnlySpan<byte> keyMaterial, Span<byte> output)
    {
        var hasher = Blake3Hasher.CreateDeriveKey(context);
        hasher.Update(keyMaterial);
        hasher.Finalize(output);
    }
}
