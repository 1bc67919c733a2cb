using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// ML-DSA.Verify_internal (FIPS 204 Algorithm 8) from μ, deriving Â and NTT(t1·2^d) from the encoded public key
/// as it goes or taking them precomputed from <see cref="MlDsaPublicKey"/>.
/// </summary>
[SkipLocalsInit]
internal static class MlDsaVerifier
{
    private const int N = MlDsaParameters.N;

    /// <summary>
    /// Verify_internal (Algorithm 8) from μ. Every length has been checked by the caller; a malformed hint or an
    /// out-of-range z gives false.
    /// </summary>
    public static bool Verify(MlDsaParameters p, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature) =>
        Verify(p, publicKey, default, default, mu, signature);

    /// <summary>
    /// Verify_internal with an optionally precomputed Â (k·l polys) and NTT(t1·2^d) (k polys); when those spans are
    /// empty they are derived from <paramref name="publicKey"/> as the verification goes.
    /// </summary>
    public static bool Verify(MlDsaParameters p, ReadOnlySpan<byte> publicKey, ReadOnlySpan<int> aHat, ReadOnlySpan<int> t1Hat, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature)
    {
        int k = p.K, l = p.L;
        Span<int> z = stackalloc int[l * N];
        Span<int> h = stackalloc int[k * N];
        Span<int> w = stackalloc int[k * N];
        Span<int> t1 = stackalloc int[N];
        Span<int> c = stackalloc int[N];
        Span<int> scratch = stackalloc int[8 * N];
        Span<byte> w1Packed = stackalloc byte[k * p.PolyW1Bytes];
        Span<byte> cTilde = stackalloc byte[64];

        var hintOffset = p.CTildeBytes + (l * p.PolyZBytes);
        if (!Packing.TryUnpackHint(signature.Slice(hintOffset, p.Omega + k), k, p.Omega, h))
        {
            return false;
        }

        for (var j = 0; j < l; j++)
        {
            Packing.UnpackZ(signature.Slice(p.CTildeBytes + (j * p.PolyZBytes), p.PolyZBytes), p.ZBits, p.Gamma1, z.Slice(j * N, N));
        }

        if (PolyMath.ExceedsNorm(z, p.Gamma1 - p.Beta))
        {
            return false;
        }

        var signedCTilde = signature.Slice(0, p.CTildeBytes);
        Sampling.SampleInBall(signedCTilde, p.Tau, c);
        PolyMath.Ntt(c);
        for (var j = 0; j < l; j++)
        {
            PolyMath.Ntt(z.Slice(j * N, N));
        }

        if (aHat.IsEmpty)
        {
            MlDsaKeys.MultiplyByMatrix(p, publicKey.Slice(0, 32), z, w, scratch);
        }
        else
        {
            w.Clear();
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < l; j++)
                {
                    PolyMath.PointwiseAccumulate(w.Slice(i * N, N), aHat.Slice(((i * l) + j) * N, N), z.Slice(j * N, N));
                }
            }
        }

        for (var i = 0; i < k; i++)
        {
            // w'_approx = Â ∘ ẑ - ĉ ∘ NTT(t1 · 2^d)
            if (t1Hat.IsEmpty)
            {
                ComputeT1Hat(publicKey, i, t1);
            }
            else
            {
                t1Hat.Slice(i * N, N).CopyTo(t1);
            }

            PolyMath.PointwiseMontgomery(t1, c, t1);
            var wi = w.Slice(i * N, N);
            PolyMath.Subtract(wi, t1);
            PolyMath.Reduce(wi);
            PolyMath.InvNttToMont(wi);
            PolyMath.CAddQ(wi);
            PolyMath.UseHints(wi, h.Slice(i * N, N), p.Gamma2);

            Packing.PackSimple(wi, p.W1Bits, w1Packed.Slice(i * p.PolyW1Bytes, p.PolyW1Bytes));
        }

        var shake = Shake.Create256();
        shake.Absorb(mu.Slice(0, 64));
        shake.Absorb(w1Packed);
        shake.Squeeze(cTilde.Slice(0, p.CTildeBytes));
        return CryptographicOperations.FixedTimeEquals(cTilde.Slice(0, p.CTildeBytes), signedCTilde);
    }

    /// <summary>NTT(t1_i · 2^d) for row <paramref name="i"/> of an encoded public key.</summary>
    public static void ComputeT1Hat(ReadOnlySpan<byte> publicKey, int i, Span<int> t1)
    {
        Packing.UnpackSimple(publicKey.Slice(32 + (i * MlDsaParameters.PolyT1Bytes), MlDsaParameters.PolyT1Bytes), 10, t1);
        for (var n = 0; n < N; n++)
        {
            t1[n] <<= MlDsaParameters.D;
        }

        PolyMath.Ntt(t1);
    }
}
