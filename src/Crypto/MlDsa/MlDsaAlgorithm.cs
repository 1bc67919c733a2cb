using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// ML-DSA (FIPS 204) on encoded keys and signatures. Signing expands the private key on each call, as
/// <see cref="MlDsaPrivateKey"/> does too (it holds the same encoding, checked once). Verification never throws on
/// untrusted input: a public key, signature or context of the wrong length, a malformed hint or an
/// out-of-range response all give false.
/// </summary>
[SkipLocalsInit]
public static class MlDsaAlgorithm
{
    /// <summary>Length of the key-generation seed ξ in bytes.</summary>
    public const int SeedSize = 32;

    /// <summary>Length of the per-signature randomness rnd in bytes.</summary>
    public const int RandomSize = 32;

    /// <summary>Length of the message representative μ in bytes.</summary>
    public const int MuSize = 64;

    /// <summary>Longest context string, in bytes (FIPS 204 §5.2).</summary>
    public const int MaxContextLength = 255;

    /// <summary>Encoded public key length in bytes: 1312, 1952 or 2592.</summary>
    public static int PublicKeySize(MlDsaParameterSet parameterSet) => MlDsaParameters.Get(parameterSet).PublicKeySize;

    /// <summary>Encoded private key length in bytes: 2560, 4032 or 4896.</summary>
    public static int PrivateKeySize(MlDsaParameterSet parameterSet) => MlDsaParameters.Get(parameterSet).PrivateKeySize;

    /// <summary>Signature length in bytes: 2420, 3309 or 4627.</summary>
    public static int SignatureSize(MlDsaParameterSet parameterSet) => MlDsaParameters.Get(parameterSet).SignatureSize;

    /// <summary>ML-DSA.KeyGen_internal (Algorithm 6): the key pair for the 32-byte seed ξ.</summary>
    public static void GenerateKey(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> seed, Span<byte> publicKey, Span<byte> privateKey)
    {
        var p = MlDsaParameters.Get(parameterSet);
        CheckLength(seed, SeedSize, nameof(seed));
        CheckLength(publicKey, p.PublicKeySize, nameof(publicKey));
        CheckLength(privateKey, p.PrivateKeySize, nameof(privateKey));
        MlDsaKeys.GenerateKey(p, seed, publicKey, privateKey);
    }

    /// <summary>ML-DSA.KeyGen (Algorithm 1) with a seed from <paramref name="random"/> (the OS CSPRNG when null).</summary>
    public static void GenerateKey(MlDsaParameterSet parameterSet, Span<byte> publicKey, Span<byte> privateKey, RandomNumberGenerator? random = null)
    {
        Span<byte> seed = stackalloc byte[SeedSize];
        MlDsaPrivateKey.Fill(random, seed);
        try
        {
            GenerateKey(parameterSet, seed, publicKey, privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>ML-DSA.Sign (Algorithm 2), hedged with 32 random bytes from <paramref name="random"/> (the OS CSPRNG when null).</summary>
    public static void Sign(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, Span<byte> signature, RandomNumberGenerator? random = null)
    {
        Span<byte> rnd = stackalloc byte[RandomSize];
        MlDsaPrivateKey.Fill(random, rnd);
        Sign(parameterSet, privateKey, message, context, rnd, signature);
        CryptographicOperations.ZeroMemory(rnd);
    }

    /// <summary>ML-DSA.Sign with caller-chosen 32-byte <paramref name="rnd"/>; 32 zero bytes give deterministic signing.</summary>
    public static void Sign(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        CheckLength(privateKey, p.PrivateKeySize, nameof(privateKey));
        CheckContext(context);
        Span<byte> mu = stackalloc byte[MuSize];
        MessageRepresentative.External(privateKey.Slice(64, 64), context, message, mu);
        SignMu(parameterSet, privateKey, mu, rnd, signature);
    }

    /// <summary>HashML-DSA.Sign (Algorithm 4) with caller-chosen 32-byte <paramref name="rnd"/>.</summary>
    public static void SignPreHash(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        CheckLength(privateKey, p.PrivateKeySize, nameof(privateKey));
        CheckContext(context);
        Span<byte> mu = stackalloc byte[MuSize];
        MessageRepresentative.PreHashed(privateKey.Slice(64, 64), context, algorithm, message, mu);
        SignMu(parameterSet, privateKey, mu, rnd, signature);
    }

    /// <summary>ML-DSA.Sign_internal (Algorithm 7) on a caller-formatted M'.</summary>
    public static void SignInternal(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> messagePrime, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        CheckLength(privateKey, p.PrivateKeySize, nameof(privateKey));
        Span<byte> mu = stackalloc byte[MuSize];
        MessageRepresentative.Internal(privateKey.Slice(64, 64), messagePrime, mu);
        SignMu(parameterSet, privateKey, mu, rnd, signature);
    }

    /// <summary>Sign_internal from an externally computed 64-byte μ.</summary>
    public static void SignMu(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        CheckLength(privateKey, p.PrivateKeySize, nameof(privateKey));
        CheckLength(mu, MuSize, nameof(mu));
        CheckLength(rnd, RandomSize, nameof(rnd));
        CheckMinimumLength(signature, p.SignatureSize, nameof(signature));

        if (!MlDsaSigner.TrySign(p, privateKey, mu, rnd, signature))
        {
            throw new ArgumentException("The private key has a secret coefficient outside [-η, η]; it is not an ML-DSA key.", nameof(privateKey));
        }
    }

    /// <summary>ML-DSA.Verify (Algorithm 3). False for any malformed input; never throws on it.</summary>
    public static bool Verify(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, ReadOnlySpan<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        if (publicKey.Length != p.PublicKeySize || signature.Length != p.SignatureSize || context.Length > MaxContextLength)
        {
            return false;
        }

        Span<byte> tr = stackalloc byte[64];
        Span<byte> mu = stackalloc byte[MuSize];
        MlDsaKeys.HashPublicKey(publicKey, tr);
        MessageRepresentative.External(tr, context, message, mu);
        return MlDsaVerifier.Verify(p, publicKey, mu, signature);
    }

    /// <summary>HashML-DSA.Verify (Algorithm 5). False for any malformed input; never throws on it.</summary>
    public static bool VerifyPreHash(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        if (publicKey.Length != p.PublicKeySize || signature.Length != p.SignatureSize || context.Length > MaxContextLength
            || !Enum.IsDefined(algorithm))
        {
            return false;
        }

        Span<byte> tr = stackalloc byte[64];
        Span<byte> mu = stackalloc byte[MuSize];
        MlDsaKeys.HashPublicKey(publicKey, tr);
        MessageRepresentative.PreHashed(tr, context, algorithm, message, mu);
        return MlDsaVerifier.Verify(p, publicKey, mu, signature);
    }

    /// <summary>ML-DSA.Verify_internal (Algorithm 8) on a caller-formatted M'.</summary>
    public static bool VerifyInternal(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> messagePrime, ReadOnlySpan<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        if (publicKey.Length != p.PublicKeySize || signature.Length != p.SignatureSize)
        {
            return false;
        }

        Span<byte> tr = stackalloc byte[64];
        Span<byte> mu = stackalloc byte[MuSize];
        MlDsaKeys.HashPublicKey(publicKey, tr);
        MessageRepresentative.Internal(tr, messagePrime, mu);
        return MlDsaVerifier.Verify(p, publicKey, mu, signature);
    }

    /// <summary>Verify_internal from an externally computed 64-byte μ.</summary>
    public static bool VerifyMu(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature)
    {
        var p = MlDsaParameters.Get(parameterSet);
        if (publicKey.Length != p.PublicKeySize || signature.Length != p.SignatureSize || mu.Length != MuSize)
        {
            return false;
        }

        return MlDsaVerifier.Verify(p, publicKey, mu, signature);
    }

    /// <summary>μ = H(H(pk) ‖ 0 ‖ |ctx| ‖ ctx ‖ M, 64): what an external-μ signer receives for pure ML-DSA.</summary>
    public static void ComputeMu(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, Span<byte> mu)
    {
        var p = MlDsaParameters.Get(parameterSet);
        CheckLength(publicKey, p.PublicKeySize, nameof(publicKey));
        CheckContext(context);
        CheckLength(mu, MuSize, nameof(mu));
        Span<byte> tr = stackalloc byte[64];
        MlDsaKeys.HashPublicKey(publicKey, tr);
        MessageRepresentative.External(tr, context, message, mu);
    }

    internal static void CheckContext(ReadOnlySpan<byte> context)
    {
        if (context.Length > MaxContextLength)
        {
            throw new ArgumentException($"The context string is {context.Length} bytes; ML-DSA allows at most {MaxContextLength}.", nameof(context));
        }
    }

    internal static void CheckLength(ReadOnlySpan<byte> value, int expected, string name)
    {
        if (value.Length != expected)
        {
            throw new ArgumentException($"'{name}' must be {expected} bytes; it was {value.Length}.", name);
        }
    }

    internal static void CheckMinimumLength(Span<byte> value, int expected, string name)
    {
        if (value.Length < expected)
        {
            throw new ArgumentException($"'{name}' must hold at least {expected} bytes; it has {value.Length}.", name);
        }
    }
}
