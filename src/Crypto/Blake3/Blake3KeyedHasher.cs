using PackageHasher = Blake3.Hasher;

namespace Overlay.Crypto;

/// <summary>
/// BLAKE3 in keyed mode under one secret key of <see cref="KeySize"/> bytes, for many short inputs: each
/// <see cref="Hash"/> is the keyed hash of one whole input, a pseudorandom function of it for whoever lacks
/// the key (placement derives its per-object draws this way under a node's secret salt). The keyed state is
/// built once and reset for each input, so hashing allocates nothing. Not thread-safe; disposing clears the
/// state derived from the key.
/// </summary>
public sealed class Blake3KeyedHasher : IDisposable
{
    /// <summary>Length of the key in bytes.</summary>
    public const int KeySize = 32;

    // Not readonly: the package's hasher is a struct, and calls on a readonly field would run on copies.
    private PackageHasher _hasher;
    private bool _disposed;

    private Blake3KeyedHasher(PackageHasher hasher) => _hasher = hasher;

    /// <summary>A hasher keyed by <paramref name="key"/>, which must be <see cref="KeySize"/> bytes.</summary>
    public static Blake3KeyedHasher Create(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A BLAKE3 key is {KeySize} bytes, not {key.Length}.", nameof(key));
        }

        return new Blake3KeyedHasher(PackageHasher.NewKeyed(key));
    }

    /// <summary>Writes the keyed hash of <paramref name="input"/> alone, filling all of <paramref name="output"/> (any length).</summary>
    public void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _hasher.Reset();
        _hasher.Update(input);
        _hasher.Finalize(output);
    }

    /// <summary>Clears the key-derived state; the hasher cannot be used afterwards.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _hasher.Dispose();
        }
    }
}
