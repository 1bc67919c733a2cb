using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// An ML-DSA public key held in expanded form: Â, NTT(t1·2^d) and tr = H(pk) are computed once, so each
/// verification skips the matrix sampling and the public-key hash. Worth keeping for a peer whose
/// signatures are checked repeatedly. Immutable and safe to share between threads. Verification
/// never throws on untrusted signatures, messages or contexts.
/// </summary>
[SkipLocalsInit]
public sealed class MlDsaPublicKey
{
    private readonly MlDsaParameters _parameters;
    private readonly byte[] _encoded;
    private readonly byte[] _tr;
    private readonly int[] _aHat;
    private readonly int[] _t1Hat;

    private MlDsaPublicKey(MlDsaParameters parameters, ReadOnlySpan<byte> encoded)
    {
        _parameters = parameters;
        _encoded = encoded.ToArray();
        _tr = new byte[64];
        MlDsaKeys.HashPublicKey(encoded, _tr);
        _aHat = new int[parameters.K * parameters.L * MlDsaParameters.N];
        Sampling.ExpandA(encoded.Slice(0, 32), parameters.L, 0, parameters.K * parameters.L, _aHat);
        _t1Hat = new int[parameters.K * MlDsaParameters.N];
        for (var i = 0; i < parameters.K; i++)
        {
            MlDsaVerifier.ComputeT1Hat(encoded, i, _t1Hat.AsSpan(i * MlDsaParameters.N, MlDsaParameters.N));
        }
    }

    /// <summary>The parameter set this key belongs to.</summary>
    public MlDsaParameterSet ParameterSet => _parameters.Set;

    /// <summary>
    /// Imports an encoded public key (pkEncode). Every byte string of the right length is a valid encoding, so
    /// this fails, without an exception, only on the length.
    /// </summary>
    public static bool TryImport(MlDsaParameterSet parameterSet, ReadOnlySpan<byte> publicKey, [NotNullWhen(true)] out MlDsaPublicKey? key)
    {
        var parameters = MlDsaParameters.Get(parameterSet);
        key = publicKey.Length == parameters.PublicKeySize ? new MlDsaPublicKey(parameters, publicKey) : null;
        return key is not null;
    }

    /// <summary>Writes the encoded public key (<see cref="MlDsaAlgorithm.PublicKeySize"/> bytes).</summary>
    public void Export(Span<byte> destination)
    {
        MlDsaAlgorithm.CheckLength(destination, _parameters.PublicKeySize, nameof(destination));
        _encoded.CopyTo(destination);
    }

    /// <summary>ML-DSA.Verify (FIPS 204 Algorithm 3). False for a signature of the wrong length, a context over 255 bytes or any forgery.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != _parameters.SignatureSize || context.Length > MlDsaAlgorithm.MaxContextLength)
        {
            return false;
        }

        Span<byte> mu = stackalloc byte[MlDsaAlgorithm.MuSize];
        MessageRepresentative.External(_tr, context, message, mu);
        return MlDsaVerifier.Verify(_parameters, _encoded, _aHat, _t1Hat, mu, signature);
    }

    /// <summary>HashML-DSA.Verify (Algorithm 5).</summary>
    public bool VerifyPreHash(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != _parameters.SignatureSize || context.Length > MlDsaAlgorithm.MaxContextLength || !Enum.IsDefined(algorithm))
        {
            return false;
        }

        Span<byte> mu = stackalloc byte[MlDsaAlgorithm.MuSize];
        MessageRepresentative.PreHashed(_tr, context, algorithm, message, mu);
        return MlDsaVerifier.Verify(_parameters, _encoded, _aHat, _t1Hat, mu, signature);
    }

    /// <summary>Verify_internal (Algorithm 8) on a caller-formatted M'.</summary>
    public bool VerifyInternal(ReadOnlySpan<byte> messagePrime, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != _parameters.SignatureSize)
        {
            return false;
        }

        Span<byte> mu = stackalloc byte[MlDsaAlgorithm.MuSize];
        MessageRepresentative.Internal(_tr, messagePrime, mu);
        return MlDsaVerifier.Verify(_parameters, _encoded, _aHat, _t1Hat, mu, signature);
    }

    /// <summary>Verify_internal from an externally computed 64-byte μ.</summary>
    public bool VerifyMu(ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature) =>
        signature.Length == _parameters.SignatureSize && mu.Length == MlDsaAlgorithm.MuSize
        && MlDsaVerifier.Verify(_parameters, _encoded, _aHat, _t1Hat, mu, signature);
}
