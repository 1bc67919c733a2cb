using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// A node's long-term signing identity. The secret lives in locked unmanaged memory (see
/// <see cref="Key"/>) and is wiped on <see cref="Dispose"/>; signing is thread-safe.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    /// <summary>Size in bytes of the seed an Ed25519 identity is derived from.</summary>
    public const int SeedSize = Ed25519Algorithm.SeedSize;

    private readonly Key _key;

    private NodeIdentity(Key key)
    {
        _key = key;
        PublicKey = IdentityPublicKey.FromEd25519(key.PublicKey!.Bytes);
    }

    /// <summary>The node identifier: BLAKE3-256 of <see cref="IdentityPublicKey.Encoded"/>.</summary>
    public PeerId PeerId => PublicKey.PeerId;

    /// <summary>The public half, safe to publish.</summary>
    public IdentityPublicKey PublicKey { get; }

    /// <summary>The signature scheme.</summary>
    public IdentityScheme Scheme => PublicKey.Scheme;

    /// <summary>Encoded size of this identity's signatures in bytes (65 for Ed25519).</summary>
    public int SignatureSize => PublicKey.SignatureSize;

    /// <summary>A new identity drawn from libsodium's CSPRNG.</summary>
    public static NodeIdentity Generate() => new(Key.Create(Algorithm.Ed25519));

    /// <summary>
    /// The identity derived from a 32-byte seed: the same seed always gives the same identity. For key
    /// files, tests and simulations; the caller wipes its copy of the seed.
    /// </summary>
    public static NodeIdentity FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An identity seed is {SeedSize} bytes, not {seed.Length}.", nameof(seed));
        }

        return new NodeIdentity(Key.Import(Algorithm.Ed25519, seed));
    }

    /// <summary>
    /// A deterministic identity whose seed is drawn from <paramref name="random"/>: for simulations that
    /// must replay from one seed. Never for a real node, whose key must come from <see cref="Generate"/>.
    /// </summary>
    public static NodeIdentity FromRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> seed = stackalloc byte[SeedSize];
        random.NextBytes(seed);
        try
        {
            return FromSeed(seed);
        }
        finally
        {
            SodiumLibrary.Zero(seed);
        }
    }

    /// <summary>
    /// Signs <paramref name="message"/> into <paramref name="signature"/> (at least <see cref="SignatureSize"/>
    /// bytes) as <c>[scheme byte][signature]</c> and returns the number of bytes written. The message is
    /// signed as given: callers put a protocol context string in it to keep signatures of different
    /// message kinds apart.
    /// </summary>
    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        if (signature.Length < IdentitySignature.Ed25519Size)
        {
            throw new ArgumentException($"An identity signature needs {IdentitySignature.Ed25519Size} bytes of space.", nameof(signature));
        }

        signature[0] = (byte)IdentityScheme.Ed25519;
        Algorithm.Ed25519.Sign(_key, message, signature[1..]);
        return IdentitySignature.Ed25519Size;
    }

    /// <summary>Signs <paramref name="message"/> and returns the encoded signature as a new array.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[SignatureSize];
        Sign(message, signature);
        return signature;
    }

    /// <summary>Copies the 32-byte seed out for persisting it; the caller wipes it after use.</summary>
    internal int ExportSeed(Span<byte> destination) => _key.ExportPrivateKey(destination);

    /// <summary>Wipes the secret. Signing afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _key.Dispose();
}
