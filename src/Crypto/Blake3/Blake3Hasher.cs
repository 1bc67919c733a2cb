using PackageHasher = Blake3.Hasher;

namespace Overlay.Crypto;

/// <summary>
/// Incremental BLAKE3 in the default (unkeyed) mode, for data that arrives in pieces: feeding the
/// input in any split gives the output of <see cref="Blake3.Hash(ReadOnlySpan{byte}, Span{byte})"/>.
/// Reusable through <see cref="Reset"/>; not thread-safe. It hashes public data only (shard payloads,
/// files), so nothing it holds needs clearing.
/// </summary>
public sealed class Blake3Hasher
{
    private readonly PackageHasher _hasher;

    private Blake3Hasher(PackageHasher hasher)
    {
        _hasher = hasher;
    }

    /// <summary>A hasher with no input yet.</summary>
    public static Blake3Hasher Create() => new(PackageHasher.New());

    /// <summary>
    /// A hasher in BLAKE3's keyed mode (a MAC or a keyed challenge) under <paramref name="key"/>, exactly
    /// 32 bytes. The key changes every chunk's chaining value, so nothing of an earlier hash under
    /// another key helps compute this one.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 32 bytes.</exception>
    public static Blake3Hasher CreateKeyed(ReadOnlySpan<byte> key)
    {
        if (key.Length != Blake3.HashSize)
        {
            throw new ArgumentException($"A BLAKE3 key is {Blake3.HashSize} bytes, not {key.Length}.", nameof(key));
        }

        return new(PackageHasher.NewKeyed(key));
    }

    /// <summary>Forgets all input.</summary>
    public void Reset() => _hasher.Reset();

    /// <summary>Absorbs <paramref name="input"/>.</summary>
    public void Update(ReadOnlySpan<byte> input) => _hasher.Update(input);

    /// <summary>Writes the hash of everything absorbed since creation or <see cref="Reset"/>, filling all of <paramref name="output"/> (any length). More input may follow.</summary>
    public void Finalize(Span<byte> output) => _hasher.Finalize(output);
}
