using System.Buffers;
using Overlay.Crypto.MlDsa;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// A node's long-term signing identity: new identities are hybrid Ed25519 + ML-DSA-65
/// (<see cref="IdentityScheme.HybridEd25519MlDsa65"/>); an Ed25519-only identity exists only as read from
/// an older key file. Signing is thread-safe. <see cref="Dispose"/> wipes every secret: the Ed25519 key
/// and the ML-DSA seed live in locked unmanaged memory, the encoded ML-DSA private key (4032 bytes) in a
/// managed array that <see cref="MlDsaPrivateKey.Dispose"/> zeroes.
/// </summary>
/// <remarks>
/// A hybrid identity has two 32-byte secrets, the Ed25519 seed and the ML-DSA-65 key-generation seed ξ.
/// <see cref="FromSeed"/> derives both from one identity seed with BLAKE3 DeriveKey under distinct context
/// strings, so one seed reproduces the whole identity. Key files store both secrets rather than the
/// identity seed, because an identity migrated from an Ed25519-only file keeps its old Ed25519 seed and
/// gets a fresh ξ, and no identity seed exists for that pair.
/// <para>
/// A hybrid identity holds about 6 KB of managed memory: the ML-DSA-65 private key in its FIPS 204 encoding,
/// expanded afresh for each signature, and the public key once (in <see cref="PublicKey"/>). Simulations keep
/// thousands of identities in one process, so the 48 KB expanded signing key is never kept.
/// </para>
/// </remarks>
public sealed class NodeIdentity : IDisposable
{
    /// <summary>Size in bytes of the seed an identity is derived from.</summary>
    public const int SeedSize = 32;

    /// <summary>Size of the secret a hybrid key file stores: the Ed25519 seed, then the ML-DSA-65 seed ξ.</summary>
    internal const int HybridSecretSize = Ed25519Algorithm.SeedSize + MlDsaAlgorithm.SeedSize;

    /// <summary>Size of the secret an Ed25519-only key file stores: the Ed25519 seed.</summary>
    internal const int Ed25519SecretSize = Ed25519Algorithm.SeedSize;

    // BLAKE3 DeriveKey contexts: globally unique, hard-coded, and naming what each derived key is for.
    private const string Ed25519SeedContext = "overlay 2026-11 node identity: Ed25519 seed";
    private const string MlDsaSeedContext = "overlay 2026-11 node identity: ML-DSA-65 seed xi";

    private readonly Key _ed25519;
    private readonly MlDsaPrivateKey? _mlDsa;
    private readonly SecureMemoryHandle? _mlDsaSeed;

    // Dispose waits for signatures in flight before it zeroes the ML-DSA key, so a concurrent Dispose
    // never makes a signer run on a half-wiped key.
    private readonly Lock _gate = new();
    private int _signing;
    private bool _disposed;

    // Set only for identities drawn from a simulation's seeded source (FromRandom): ML-DSA signs with the
    // deterministic variant, so a replayed run signs the same bytes (a file's content id is the hash of
    // its signed manifest, so hedged signatures changed where a replayed run placed it).
    private bool _deterministicSigning;

    private NodeIdentity(Key ed25519, MlDsaPrivateKey? mlDsa, SecureMemoryHandle? mlDsaSeed, ReadOnlySpan<byte> mlDsaPublicKey)
    {
        _ed25519 = ed25519;
        _mlDsa = mlDsa;
        _mlDsaSeed = mlDsaSeed;
        PublicKey = mlDsa is null
            ? IdentityPublicKey.FromEd25519(ed25519.PublicKey!.Bytes)
            : IdentityPublicKey.FromHybrid(ed25519.PublicKey!.Bytes, mlDsaPublicKey);
    }

    /// <summary>The node identifier: BLAKE3-256 of <see cref="IdentityPublicKey.Encoded"/>.</summary>
    public PeerId PeerId => PublicKey.PeerId;

    /// <summary>The public half, safe to publish.</summary>
    public IdentityPublicKey PublicKey { get; }

    /// <summary>The signature scheme.</summary>
    public IdentityScheme Scheme => PublicKey.Scheme;

    /// <summary>Encoded size of this identity's signatures in bytes (3374 for hybrid, 65 for Ed25519-only).</summary>
    public int SignatureSize => PublicKey.SignatureSize;

    /// <summary>Size of the secret <see cref="ExportSecret"/> writes: 64 bytes for hybrid, 32 for Ed25519-only.</summary>
    internal int SecretSize => _mlDsa is null ? Ed25519SecretSize : HybridSecretSize;

    /// <summary>A new hybrid identity with both seeds drawn from libsodium's CSPRNG.</summary>
    public static NodeIdentity Generate()
    {
        Span<byte> secret = stackalloc byte[HybridSecretSize];
        try
        {
            SodiumLibrary.RandomBytes(secret);
            return FromHybridSecret(secret);
        }
        finally
        {
            SodiumLibrary.Zero(secret);
        }
    }

    /// <summary>
    /// The hybrid identity derived from a 32-byte seed: the same seed always gives the same keys and
    /// PeerId. The Ed25519 seed and the ML-DSA-65 seed ξ are BLAKE3 DeriveKey outputs of it under two
    /// distinct contexts. For tests and simulations; the caller wipes its copy of the seed.
    /// </summary>
    public static NodeIdentity FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An identity seed is {SeedSize} bytes, not {seed.Length}.", nameof(seed));
        }

        Span<byte> secret = stackalloc byte[HybridSecretSize];
        try
        {
            Blake3.DeriveKey(Ed25519SeedContext, seed, secret[..Ed25519Algorithm.SeedSize]);
            Blake3.DeriveKey(MlDsaSeedContext, seed, secret[Ed25519Algorithm.SeedSize..]);
            return FromHybridSecret(secret);
        }
        finally
        {
            SodiumLibrary.Zero(secret);
        }
    }

    /// <summary>
    /// A deterministic identity whose seed is drawn from <paramref name="random"/>: for simulations that
    /// must replay from one seed. Its ML-DSA-65 signatures use FIPS 204's deterministic variant (rnd all
    /// zero), so one message always gets one signature and a replayed run signs the same bytes; signatures
    /// verify as any other. Never for a real node, whose key must come from <see cref="Generate"/> and
    /// whose signatures are hedged.
    /// </summary>
    public static NodeIdentity FromRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> seed = stackalloc byte[SeedSize];
        random.NextBytes(seed);
        try
        {
            var identity = FromSeed(seed);
            identity._deterministicSigning = true;
            return identity;
        }
        finally
        {
            SodiumLibrary.Zero(seed);
        }
    }

    /// <summary>A hybrid identity from its stored secret: the 32-byte Ed25519 seed, then the 32-byte ML-DSA-65 seed ξ.</summary>
    internal static NodeIdentity FromHybridSecret(ReadOnlySpan<byte> secret)
    {
        if (secret.Length != HybridSecretSize)
        {
            throw new ArgumentException($"A hybrid identity secret is {HybridSecretSize} bytes, not {secret.Length}.", nameof(secret));
        }

        var xi = secret[Ed25519Algorithm.SeedSize..];
        var ed25519 = Key.Import(Algorithm.Ed25519, secret[..Ed25519Algorithm.SeedSize]);
        MlDsaPrivateKey? mlDsa = null;
        SecureMemoryHandle? seedHandle = null;
        try
        {
            seedHandle = SecureMemoryHandle.Allocate(MlDsaAlgorithm.SeedSize);
            xi.CopyTo(seedHandle.DangerousGetSpan());

            // The public key goes straight into PublicKey; the private key keeps no second copy of it.
            Span<byte> mlDsaPublicKey = stackalloc byte[IdentityPublicKey.MlDsa65PublicKeySize];
            mlDsa = MlDsaPrivateKey.FromSeed(IdentitySignature.MlDsaParameters, xi, mlDsaPublicKey);
            return new NodeIdentity(ed25519, mlDsa, seedHandle, mlDsaPublicKey);
        }
        catch
        {
            ed25519.Dispose();
            mlDsa?.Dispose();
            seedHandle?.Dispose();
            throw;
        }
    }

    /// <summary>An Ed25519-only identity from its 32-byte seed, as older key files hold it.</summary>
    internal static NodeIdentity FromEd25519Seed(ReadOnlySpan<byte> seed) => new(Key.Import(Algorithm.Ed25519, seed), null, null, default);

    /// <summary>
    /// The hybrid identity that keeps this Ed25519-only identity's Ed25519 key and adds an ML-DSA-65 key
    /// from a fresh CSPRNG seed. Its PeerId differs, since the PeerId hashes both public keys.
    /// </summary>
    internal NodeIdentity UpgradeToHybrid()
    {
        if (_mlDsa is not null)
        {
            throw new InvalidOperationException("This identity is already hybrid.");
        }

        Span<byte> secret = stackalloc byte[HybridSecretSize];
        try
        {
            _ed25519.ExportPrivateKey(secret);
            SodiumLibrary.RandomBytes(secret[Ed25519Algorithm.SeedSize..]);
            return FromHybridSecret(secret);
        }
        finally
        {
            SodiumLibrary.Zero(secret);
        }
    }

    /// <summary>
    /// Signs <paramref name="message"/> into <paramref name="signature"/> (at least <see cref="SignatureSize"/>
    /// bytes) and returns the number of bytes written. A hybrid identity writes
    /// <c>[2][Ed25519 signature][ML-DSA-65 signature]</c>, both over the framed message described on
    /// <see cref="IdentitySignature"/>; ML-DSA-65 signing is hedged with fresh OS randomness, so two
    /// signatures of one message differ (except for a simulation's identity, see <see cref="FromRandom"/>). An Ed25519-only identity writes <c>[1][Ed25519 signature]</c>
    /// over the message as given. Callers put a protocol context string in the message to keep signatures
    /// of different message kinds apart.
    /// </summary>
    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var size = SignatureSize;
        if (signature.Length < size)
        {
            throw new ArgumentException($"An identity signature of this scheme needs {size} bytes of space.", nameof(signature));
        }

        Enter();
        try
        {
            if (_mlDsa is null)
            {
                signature[0] = (byte)IdentityScheme.Ed25519;
                Algorithm.Ed25519.Sign(_ed25519, message, signature[1..]);
                return IdentitySignature.Ed25519Size;
            }

            SignHybrid(_mlDsa, message, signature);
            return IdentitySignature.HybridSize;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Signs <paramref name="message"/> and returns the encoded signature as a new array.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[SignatureSize];
        Sign(message, signature);
        return signature;
    }

    /// <summary>
    /// Derives a 32-byte secret key for a local purpose named by <paramref name="context"/> (e.g.
    /// <c>"overlay/dht.db/row-seal/v1"</c>) from this identity's secret: HKDF-SHA256 (RFC 5869) with the
    /// secret as input key material and the context as info. The same identity and context always give
    /// the same key, nobody without the secret can compute it, and keys of different contexts are
    /// independent. Never use it as a signing or transport key.
    /// </summary>
    /// <param name="context">What the key is for; distinct uses must use distinct contexts.</param>
    /// <param name="key">Receives the key: exactly 32 bytes.</param>
    public void DeriveKey(ReadOnlySpan<byte> context, Span<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A derived key is 32 bytes.", nameof(key));
        }

        Span<byte> secret = stackalloc byte[HybridSecretSize];
        try
        {
            var n = ExportSecret(secret);
            System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, secret[..n], key, salt: default, info: context);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Copies the secret out for persisting it (<see cref="SecretSize"/> bytes: the Ed25519 seed, then for
    /// a hybrid identity the ML-DSA-65 seed ξ) and returns its length; the caller wipes it after use.
    /// </summary>
    internal int ExportSecret(Span<byte> destination)
    {
        var size = SecretSize;
        if (destination.Length < size)
        {
            throw new ArgumentException($"This identity's secret needs {size} bytes of space.", nameof(destination));
        }

        Enter();
        try
        {
            _ed25519.ExportPrivateKey(destination);
            if (_mlDsaSeed is not null)
            {
                using var lease = _mlDsaSeed.Acquire();
                lease.Span.CopyTo(destination[Ed25519Algorithm.SeedSize..]);
            }

            return size;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Wipes every secret. Signing afterwards throws <see cref="ObjectDisposedException"/>; a signature
    /// already in progress on another thread completes first, and the last one out does the wiping.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_signing > 0)
            {
                return;
            }
        }

        Wipe();
    }

    /// <summary>The ML-DSA-65 half of a hybrid identity, for tests that compare its signatures and check its wiping.</summary>
    internal MlDsaPrivateKey? MlDsaKey => _mlDsa;

    private void SignHybrid(MlDsaPrivateKey mlDsa, ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var length = IdentitySignature.HybridPrefixSize + message.Length;
        byte[]? rented = null;
        var framed = length <= IdentitySignature.StackFrameLimit
            ? stackalloc byte[IdentitySignature.StackFrameLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            framed = framed[..length];
            IdentitySignature.FrameHybridMessage(PeerId, message, framed);
            signature[0] = (byte)IdentityScheme.HybridEd25519MlDsa65;
            Algorithm.Ed25519.Sign(_ed25519, framed, signature.Slice(1, Ed25519Algorithm.SignatureSize));
            var mlDsaSignature = signature.Slice(1 + Ed25519Algorithm.SignatureSize, IdentitySignature.MlDsa65SignatureSize);
            if (_deterministicSigning)
            {
                mlDsa.SignDeterministic(framed, IdentitySignature.Context, mlDsaSignature);
            }
            else
            {
                mlDsa.Sign(framed, IdentitySignature.Context, mlDsaSignature);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _signing++;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_signing > 0 || !_disposed)
            {
                return;
            }
        }

        Wipe();
    }

    private void Wipe()
    {
        _ed25519.Dispose();
        _mlDsa?.Dispose();
        _mlDsaSeed?.Dispose();
    }
}
