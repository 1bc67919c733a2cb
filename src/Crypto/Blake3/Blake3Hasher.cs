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
    private readonly PackageHasher _hasher = PackageHasher.New();

    private Blake3Hasher()
    {
    }

    /// <summary>A hasher with no input yet.</summary>
    public static Blake3Hasher Create() => new();

    /// <summary>Forgets all input.</summary>
    public void Reset() => _hasher.Reset();

    /// <summary>Absorbs <paramref name="input"/>.</summary>
    public void Update(ReadOnlySpan<byte> input) => _hasher.Update(input);

    /// <summary>Writes the hash of everything absorbed since creation or <see cref="Reset"/>, filling all of <paramref name="output"/> (any length). More input may follow.</summary>
    public void Finalize(Span<byte> output) => _hasher.Finalize(output);
}
