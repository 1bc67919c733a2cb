using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// An ML-DSA private key held compactly, as its FIPS 204 encoding (skEncode: 2560, 4032 or 4896 bytes), whose
/// secret coefficients are range-checked once when the key is made. Each signature expands what signing needs
/// (Â from ρ, and NTT(s1), NTT(s2), NTT(t0)) into per-call buffers: Â into a pooled array, the secret vectors
/// on the stack, wiped before the call returns. Keeping the expanded form instead would cost 27–80 KB per key
/// (48 KB for ML-DSA-65), too much for processes that hold thousands of node identities; expanding costs a
/// fraction of one signature's rejection loop. Instances are safe to use from several threads at once (signing
/// keeps all its state in per-call buffers). Dispose zeroes the encoding.
/// </summary>
[SkipLocalsInit]
public sealed class MlDsaPrivateKey : IDisposable
{
    private readonly MlDsaParameters _parameters;
    private readonly byte[] _encoded;
    private readonly RandomNumberGenerator? _random;
    private byte[]? _publicKey;
    private bool _disposed;

    private MlDsaPrivateKey(MlDsaParameters parameters, RandomNumberGenerator? random)
    {
        _parameters = parameters;
        _encoded = new byte[parameters.PrivateKeySize];
        _random = random;
    }

    /// <summary>The parameter set this key belongs to.</summary>
    public MlDsaParameterSet ParameterSet => _parameters.Set;

    /// <summary>Signature length in bytes for this key's parameter set.</summary>
    public int SignatureSize => _parameters.SignatureSize;

    /// <summary>
    /// Generates a key from a fresh 32-byte seed drawn from <paramref name="random"/> (the OS CSPRNG when null).
    /// The same generator later supplies the hedging randomness of <see cref="Sign(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.
    /// </summary>
    public static MlDsaPrivateKey Generate(MlDsaParameterSet parameterSet, RandomNumberGenerator? random = null)
    {
        Span<byte> seed = stackalloc byte[MlDsaAlgorithm.SeedSize];
        try
        {
            Fill(random, seed);
            return FromSeed(parameterSet, seed, random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>ML-DSA.KeyGen_internal from the 32-byte seed ξ: the same seed always gives the same key.</summary>
    public static MlDsaPrivateKey FromSeed(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> seed, RandomNumberGenerator? random = null)
    {
        var publicKey = new byte[MlDsaParameters.Get(parameterSet).PublicKeySize];
        var key = FromSeed(parameterSet, seed, publicKey, random);
        key._publicKey = publicKey;
        return key;
    }

    /// <summary>
    /// ML-DSA.KeyGen_internal from ξ, writing the encoded public key to <paramref name="publicKey"/> instead of
    /// keeping a copy: for an owner that stores the public key itself (a node identity), so it is held once.
    /// <see cref="ExportPublicKey"/> on such a key recomputes it (once; it then keeps the result).
    /// </summary>
    internal static MlDsaPrivateKey FromSeed(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> seed, Span<byte> publicKey, RandomNumberGenerator? random = null)
    {
        if (seed.Length != MlDsaAlgorithm.SeedSize)
        {
            throw new ArgumentException($"The seed must be {MlDsaAlgorithm.SeedSize} bytes; it was {seed.Length}.", nameof(seed));
        }

        var parameters = MlDsaParameters.Get(parameterSet);
        MlDsaAlgorithm.CheckLength(publicKey, parameters.PublicKeySize, nameof(publicKey));
        var key = new MlDsaPrivateKey(parameters, random);
        MlDsaKeys.GenerateKey(parameters, seed, publicKey, key._encoded);
        return key;
    }

    /// <summary>
    /// Imports an encoded private key (FIPS 204 skEncode). False, with no exception, when the length is wrong for
    /// <paramref name="parameterSet"/> or a secret coefficient is out of range.
    /// </summary>
    public static bool TryImport(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> privateKey, [NotNullWhen(true)] out MlDsaPrivateKey? key, RandomNumberGenerator? random = null)
    {
        var parameters = MlDsaParameters.Get(parameterSet);
        key = null;
        if (privateKey.Length != parameters.PrivateKeySize)
        {
            return false;
        }

        // Checked once here, so signing can rely on every s1/s2 coefficient being in range.
        if (!MlDsaKeys.SecretsInRange(parameters, privateKey))
        {
            return false;
        }

        key = new MlDsaPrivateKey(parameters, random);
        privateKey.CopyTo(key._encoded);
        return true;
    }

    /// <summary>Writes the encoded private key (skEncode, <see cref="MlDsaAlgorithm.PrivateKeySize"/> bytes).</summary>
    public void ExportPrivateKey(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MlDsaAlgorithm.CheckLength(destination, _parameters.PrivateKeySize, nameof(destination));
        _encoded.CopyTo(destination);
    }

    /// <summary>
    /// Writes the encoded public key (pkEncode, <see cref="MlDsaAlgorithm.PublicKeySize"/> bytes). An imported key recomputes
    /// t = A·s1 + s2 once and keeps the result, since the private encoding does not carry t1.
    /// </summary>
    public void ExportPublicKey(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MlDsaAlgorithm.CheckLength(destination, _parameters.PublicKeySize, nameof(destination));
        var publicKey = _publicKey;
        if (publicKey is null)
        {
            publicKey = new byte[_parameters.PublicKeySize];
            MlDsaKeys.RecomputePublicKey(_parameters, _encoded, publicKey);
            _publicKey = publicKey;
        }

        publicKey.CopyTo(destination);
    }

    /// <summary>
    /// ML-DSA.Sign (FIPS 204 Algorithm 2), hedged: 32 fresh random bytes from this key's generator.
    /// <paramref name="context"/> is 0–255 bytes; <paramref name="signature"/> at least <see cref="SignatureSize"/> bytes.
    /// </summary>
    public void Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, Span<byte> signature)
    {
        Span<byte> rnd = stackalloc byte[MlDsaAlgorithm.RandomSize];
        Fill(_random, rnd);
        Sign(message, context, rnd, signature);
        CryptographicOperations.ZeroMemory(rnd);
    }

    /// <summary>ML-DSA.Sign with caller-chosen 32-byte <paramref name="rnd"/> (all zero gives the deterministic variant).</summary>
    public void Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        MlDsaAlgorithm.CheckContext(context);
        Span<byte> mu = stackalloc byte[MlDsaAlgorithm.MuSize];
        MessageRepresentative.External(Tr, context, message, mu);
        SignMu(mu, rnd, signature);
    }

    /// <summary>Deterministic ML-DSA.Sign: rnd is 32 zero bytes, so equal inputs give equal signatures.</summary>
    public void SignDeterministic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, Span<byte> signature)
    {
        Span<byte> rnd = stackalloc byte[MlDsaAlgorithm.RandomSize];
        rnd.Clear();
        Sign(message, context, rnd, signature);
    }

    /// <summary>HashML-DSA.Sign (FIPS 204 Algorithm 4) with caller-chosen 32-byte <paramref name="rnd"/>.</summary>
    public void SignPreHash(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        MlDsaAlgorithm.CheckContext(context);
        Span<byte> mu = stackalloc byte[MlDsaAlgorithm.MuSize];
        MessageRepresentative.PreHashed(Tr, context, algorithm, message, mu);
        SignMu(mu, rnd, signature);
    }

    /// <summary>ML-DSA.Sign_internal (Algorithm 7) on a caller-formatted M'.</summary>
    public void SignInternal(ReadOnlySpan<byte> messagePrime, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        Span<byte> mu = stackalloc byte[MlDsaAlgorithm.MuSize];
        MessageRepresentative.Internal(Tr, messagePrime, mu);
        SignMu(mu, rnd, signature);
    }

    /// <summary>Sign_internal from an externally computed 64-byte μ = H(tr ‖ M', 64).</summary>
    public void SignMu(ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MlDsaAlgorithm.CheckLength(mu, MlDsaAlgorithm.MuSize, nameof(mu));
        MlDsaAlgorithm.CheckLength(rnd, MlDsaAlgorithm.RandomSize, nameof(rnd));
        MlDsaAlgorithm.CheckMinimumLength(signature, _parameters.SignatureSize, nameof(signature));
        if (!MlDsaSigner.TrySign(_parameters, _encoded, mu, rnd, signature))
        {
            // TryImport and KeyGen only ever store in-range keys, so this is a bug, not bad input.
            throw new InvalidOperationException("The stored ML-DSA private key has a secret coefficient out of range.");
        }
    }

    /// <summary>The stored encoding, for tests that check <see cref="Dispose"/> wipes it.</summary>
    internal ReadOnlySpan<byte> StoredSecret => _encoded;

    /// <summary>Zeroes the encoded key (seeds ρ, K, tr and the packed s1, s2, t0).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_encoded);
    }

    private ReadOnlySpan<byte> Tr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _encoded.AsSpan(64, 64);
        }
    }

    internal static void Fill(RandomNumberGenerator? random, Span<byte> destination)
    {
        if (random is null)
        {
            RandomNumberGenerator.Fill(destination);
        }
        else
        {
            random.GetBytes(destination);
        }
    }
}
