using System.Diagnostics.CodeAnalysis;

namespace Overlay.Crypto.Sodium;

/// <summary>A public key of one <see cref="Sodium.Algorithm"/>. Equality compares algorithm and bytes.</summary>
public sealed class PublicKey : IEquatable<PublicKey>
{
    private readonly byte[] _bytes;

    internal PublicKey(Algorithm algorithm, byte[] bytes)
    {
        Algorithm = algorithm;
        _bytes = bytes;
    }

    /// <summary>The algorithm this key belongs to.</summary>
    public Algorithm Algorithm { get; }

    /// <summary>The raw key (<see cref="Algorithm.PublicKeySize"/> bytes).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>
    /// Reads a raw public key. Only the length is checked here; each algorithm's operations reject keys
    /// they cannot use (for example Ed25519 verification rejects small-order points).
    /// </summary>
    public static bool TryImport(Algorithm algorithm, ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out PublicKey? publicKey)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (algorithm.PublicKeySize == 0 || bytes.Length != algorithm.PublicKeySize)
        {
            publicKey = null;
            return false;
        }

        publicKey = new PublicKey(algorithm, bytes.ToArray());
        return true;
    }

    /// <summary>Reads a raw public key; throws <see cref="ArgumentException"/> on a wrong length.</summary>
    public static PublicKey Import(Algorithm algorithm, ReadOnlySpan<byte> bytes) =>
        TryImport(algorithm, bytes, out var key)
            ? key
            : throw new ArgumentException($"A {algorithm.Name} public key is {algorithm.PublicKeySize} bytes, not {bytes.Length}.", nameof(bytes));

    /// <inheritdoc />
    public bool Equals(PublicKey? other) =>
        other is not null && ReferenceEquals(Algorithm, other.Algorithm) && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PublicKey);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm.Name);
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => Algorithm.Name + ":" + Convert.ToHexStringLower(_bytes);
}
