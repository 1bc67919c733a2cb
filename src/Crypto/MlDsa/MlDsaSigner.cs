using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// ML-DSA.Sign_internal (FIPS 204 Algorithm 7) from μ: the rejection loop over masks y, with the key either
/// expanded for the one signature (<see cref="TrySign"/>) or expanded by the caller beforehand (<see cref="Sign"/>).
/// </summary>
[SkipLocalsInit]
internal static class MlDsaSigner
{
    private const int N = MlDsaParameters.N;

    /// <summary>
    /// Sign_internal (Algorithm 7) from μ and the encoded private key, which is expanded for this one signature:
    /// Â into a pooled array (it is public, derived from ρ, so it goes back unwiped) and the secret vectors on the
    /// stack, wiped before returning. False, without signing, when an s1/s2 coefficient is out of range.
    /// </summary>
    public static bool TrySign(MlDsaParameters p, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        // Â is 30 KB for ML-DSA-65 and 56 KB for ML-DSA-87: too much to add to Sign's own stack frame.
        var matrix = ArrayPool<int>.Shared.Rent(MlDsaKeys.MatrixLength(p));
        Span<int> secrets = stackalloc int[MlDsaKeys.SecretVectorsLength(p)];
        try
        {
            if (!MlDsaKeys.TryExpandSecretVectors(p, privateKey, secrets))
            {
                return false;
            }

            var aHat = matrix.AsSpan(0, MlDsaKeys.MatrixLength(p));
            Sampling.ExpandA(privateKey.Slice(0, 32), p.L, 0, p.K * p.L, aHat);
            Sign(p, aHat, secrets, privateKey.Slice(32, 32), mu, rnd, signature);
            return true;
        }
        finally
        {
            SecretWipe.Ints(secrets);
            ArrayPool<int>.Shared.Return(matrix);
        }
    }

    /// <summary>
    /// Sign_internal (Algorithm 7) from μ with an expanded key: <paramref name="aHat"/> is Â, <paramref name="secrets"/>
    /// is NTT(s1) ‖ NTT(s2) ‖ NTT(t0), <paramref name="key"/> the 32-byte K. Writes exactly <c>p.SignatureSize</c> bytes.
    /// </summary>
    public static void Sign(MlDsaParameters p, ReadOnlySpan<int> aHat, ReadOnlySpan<int> secrets, ReadOnlySpan<byte> key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        int k = p.K, l = p.L;
        var a = aHat.Slice(0, k * l * N);
        var s1Hat = secrets.Slice(0, l * N);
        var s2Hat = secrets.Slice(l * N, k * N);
        var t0Hat = secrets.Slice((l + k) * N, k * N);

        Span<byte> rhoSecond = stackalloc byte[64];
        var shake = Shake.Create256();
        shake.Absorb(key.Slice(0, 32));
        shake.Absorb(rnd);
        shake.Absorb(mu.Slice(0, 64));
        shake.Squeeze(rhoSecond);
        shake.Clear();

        Span<int> y = stackalloc int[l * N];
        Span<int> z = stackalloc int[l * N];
        Span<int> w0 = stackalloc int[k * N];
        Span<int> w1 = stackalloc int[k * N];
        Span<int> tmp = stackalloc int[k * N];
        Span<int> c = stackalloc int[N];
        Span<byte> w1Packed = stackalloc byte[k * p.PolyW1Bytes];
        Span<byte> cTilde = stackalloc byte[64];
        int gamma2 = p.Gamma2, beta = p.Beta;
        try
        {
            for (var kappa = 0; ; kappa += l)
            {
                // κ is encoded in two bytes (IntegerToBytes(κ + r, 2)); the loop ends long before it wraps.
                Sampling.ExpandMask(rhoSecond, kappa & 0xFFFF, p, y);

                // w = NTT^-1(Â ∘ NTT(y)); z holds NTT(y) for now.
                y.CopyTo(z);
                for (var j = 0; j < l; j++)
                {
                    PolyMath.Ntt(z.Slice(j * N, N));
                }

                w0.Clear();
                for (var i = 0; i < k; i++)
                {
                    var wi = w0.Slice(i * N, N);
                    for (var j = 0; j < l; j++)
                    {
                        PolyMath.PointwiseAccumulate(wi, a.Slice(((i * l) + j) * N, N), z.Slice(j * N, N));
                    }

                    PolyMath.Reduce(wi);
                    PolyMath.InvNttToMont(wi);
                    PolyMath.CAddQ(wi);
                }

                PolyMath.Decompose(w0, w1, gamma2);

                for (var i = 0; i < k; i++)
                {
                    Packing.PackSimple(w1.Slice(i * N, N), p.W1Bits, w1Packed.Slice(i * p.PolyW1Bytes, p.PolyW1Bytes));
                }

                shake = Shake.Create256();
                shake.Absorb(mu.Slice(0, 64));
                shake.Absorb(w1Packed);
                shake.Squeeze(cTilde.Slice(0, p.CTildeBytes));
                Sampling.SampleInBall(cTilde.Slice(0, p.CTildeBytes), p.Tau, c);
                PolyMath.Ntt(c);

                // z = y + NTT^-1(ĉ ∘ ŝ1)
                for (var j = 0; j < l; j++)
                {
                    var zj = z.Slice(j * N, N);
                    PolyMath.PointwiseMontgomery(zj, c, s1Hat.Slice(j * N, N));
                    PolyMath.InvNttToMont(zj);
                }

                PolyMath.Add(z, y);
                PolyMath.Reduce(z);
                if (PolyMath.ExceedsNorm(z, p.Gamma1 - beta))
                {
                    continue;
                }

                // r0 = LowBits(w - cs2) = w0 - cs2, valid once its norm is below γ2 - β.
                for (var i = 0; i < k; i++)
                {
                    var ti = tmp.Slice(i * N, N);
                    PolyMath.PointwiseMontgomery(ti, c, s2Hat.Slice(i * N, N));
                    PolyMath.InvNttToMont(ti);
                }

                PolyMath.Subtract(w0, tmp);
                PolyMath.Reduce(w0);
                if (PolyMath.ExceedsNorm(w0, gamma2 - beta))
                {
                    continue;
                }

                for (var i = 0; i < k; i++)
                {
                    var ti = tmp.Slice(i * N, N);
                    PolyMath.PointwiseMontgomery(ti, c, t0Hat.Slice(i * N, N));
                    PolyMath.InvNttToMont(ti);
                }

                PolyMath.Reduce(tmp);
                if (PolyMath.ExceedsNorm(tmp, gamma2))
                {
                    continue;
                }

                PolyMath.Add(w0, tmp);
                if (PolyMath.MakeHints(w0, w1, tmp, gamma2) > p.Omega)
                {
                    continue;
                }

                cTilde.Slice(0, p.CTildeBytes).CopyTo(signature);
                var offset = p.CTildeBytes;
                for (var j = 0; j < l; j++, offset += p.PolyZBytes)
                {
                    Packing.PackOffset(z.Slice(j * N, N), p.ZBits, p.Gamma1, signature.Slice(offset, p.PolyZBytes));
                }

                Packing.PackHint(tmp, k, p.Omega, signature.Slice(offset, p.Omega + k));
                return;
            }
        }
        finally
        {
            // A rejected attempt's w1 and c̃ are never published: wipe the hash state that absorbed them.
            shake.Clear();
            CryptographicOperations.ZeroMemory(rhoSecond);
            CryptographicOperations.ZeroMemory(cTilde);
            SecretWipe.Ints(y);
            SecretWipe.Ints(z);
            SecretWipe.Ints(w0);
            SecretWipe.Ints(w1);
            SecretWipe.Ints(tmp);
            SecretWipe.Ints(c);
            CryptographicOperations.ZeroMemory(w1Packed);
        }
    }
}
