using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// An ML-DSA private key held in expanded form: the matrix Â and NTT(s1), NTT(s2), NTT(t0) are computed
/// once, so each signature starts at the rejection loop. A node that signs many messages keeps one of these.
/// Instances are safe to use from several threads at once (signing keeps all its state on the stack).
/// Dispose zeroes every secret.
/// </summary>
[SkipLocalsInit]
public sealed class MlDsaPrivateKey : IDisposable
{
    private readonly MlDsaParameters _parameters;
    private readonly int[] _expanded;
    private readonly byte[] _seedMaterial;
    private readonly byte[] _encoded;
    private readonly RandomNumberGenerator? _random;
    private byte[]? _publicKey;
    private bool _disposed;

    private MlDsaPrivateKey(MlDsaParameters parameters, RandomNumberGenerator? random)
    {
        _parameters = parameters;
        _expanded = GC.AllocateUninitializedArray<int>(MlDsaCore.ExpandedLength(parameters));
        _seedMaterial = new byte[MlDsaCore.SeedMaterialBytes];
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
        if (seed.Length != MlDsaAlgorithm.SeedSize)
        {
            throw new ArgumentException($"The seed must be {MlDsaAlgorithm.SeedSize} bytes; it was {seed.Length}.", nameof(seed));
        }

        var parameters = MlDsaParameters.Get(parameterSet);
        var key = new MlDsaPrivateKey(parameters, random);
        var publicKey = new byte[parameters.PublicKeySize];
        MlDsaCore.GenerateKey(parameters, seed, publicKey, key._encoded);
        key._publicKey = publicKey;
        MlDsaCore.TryExpandPrivateKey(parameters, key._encoded, key._expanded, key._seedMaterial);
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

        var candidate = new MlDsaPrivateKey(parameters, random);
        privateKey.CopyTo(candidate._encoded);
        if (!MlDsaCore.TryExpandPrivateKey(parameters, privateKey, candidate._expanded, candidate._seedMaterial))
        {
            candidate.Dispose();
            return false;
        }

        key = candidate;
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
    /// t = A·s1 + s2 once, since the private encoding does not carry t1.
    /// </summary>
    public void ExportPublicKey(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MlDsaAlgorithm.CheckLength(destination, _parameters.PublicKeySize, nameof(destination));
        var publicKey = _publicKey;
        if (publicKey is null)
        {
            publicKey = new byte[_parameters.PublicKeySize];
            MlDsaCore.RecomputePublicKey(_parameters, _encoded, publicKey);
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
        MlDsaCore.Sign(_parameters, _expanded, _seedMaterial, mu, rnd, signature);
    }

    /// <summary>Zeroes the expanded key, the seeds and the encoding.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        MlDsaCore.ZeroInts(_expanded);
        CryptographicOperations.ZeroMemory(_seedMaterial);
        CryptographicOperations.ZeroMemory(_encoded);
    }

    private ReadOnlySpan<byte> Tr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _seedMaterial.AsSpan(64, 64);
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
