using System.Runtime.CompilerServices;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// Arithmetic in R_q = Z_q[X]/(X^256 + 1) (FIPS 204 §7.5–7.6), on 256-coefficient spans of
/// 32-bit integers. Products go through Montgomery reduction with R = 2^32; the NTT's twiddles
/// are stored in Montgomery form so the transform itself needs no extra factor. All of it runs
/// in constant time: no branch or index depends on a coefficient.
/// </summary>
internal static partial class PolyMath
{
    public const int N = MlDsaParameters.N;
    public const int Q = MlDsaParameters.Q;

    /// <summary>q^-1 mod 2^32.</summary>
    public const int QInv = 58728449;

    /// <summary>R^2 / 256 mod q: undoes the inverse NTT's 1/256 and leaves the Montgomery factor R.</summary>
    private const int InvNttFactor = 41978;

    /// <summary>
    /// zeta^BitRev8(i) * R mod q for the primitive 512th root of unity zeta = 1753 (FIPS 204 Appendix B),
    /// centred into (-q/2, q/2]. Index 0 is never used by the transform.
    /// </summary>
    internal static readonly int[] Zetas = ComputeZetas();

    private static int[] ComputeZetas()
    {
        var zetas = new int[N];
        const long r = (1L << 32) % Q;
        for (var i = 0; i < N; i++)
        {
            var exponent = 0;
            for (var b = 0; b < 8; b++)
            {
                exponent |= ((i >> b) & 1) << (7 - b);
            }

            long power = 1;
            for (var e = 0; e < exponent; e++)
            {
                power = power * 1753 % Q;
            }

            var value = (int)(power * r % Q);
            zetas[i] = value > Q / 2 ? value - Q : value;
        }

        return zetas;
    }

    /// <summary>For |a| &lt; 2^31·q returns a·2^-32 mod q in (-q, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MontgomeryReduce(long a)
    {
        var t = (int)a * QInv;
        return (int)((a - ((long)t * Q)) >> 32);
    }

    /// <summary>For a ≤ 2^31 - 2^22 - 1 returns r ≡ a mod q with -6283008 ≤ r ≤ 6283008.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce32(int a)
    {
        var t = (a + (1 << 22)) >> 23;
        return a - (t * Q);
    }

    /// <summary>Adds q to a negative coefficient, without branching.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CAddQ(int a) => a + ((a >> 31) & Q);

    public static void NttScalar(Span<int> a)
    {
        var zetas = Zetas;
        var k = 0;
        for (var len = 128; len > 0; len >>= 1)
        {
            for (var start = 0; start < N; start += 2 * len)
            {
                long zeta = zetas[++k];
                for (var j = start; j < start + len; j++)
                {
                    var t = MontgomeryReduce(zeta * a[j + len]);
                    a[j + len] = a[j] - t;
                    a[j] += t;
                }
            }
        }
    }

    /// <summary>
    /// Inverse NTT times R. Inputs must satisfy |a| &lt; q: the sum path doubles eight times and
    /// 256·q still fits in 31 bits.
    /// </summary>
    public static void InvNttToMontScalar(Span<int> a)
    {
        var zetas = Zetas;
        var k = N;
        for (var len = 1; len < N; len <<= 1)
        {
            for (var start = 0; start < N; start += 2 * len)
            {
                long zeta = -zetas[--k];
                for (var j = start; j < start + len; j++)
                {
                    var t = a[j];
                    a[j] = t + a[j + len];
                    a[j + len] = MontgomeryReduce(zeta * (t - a[j + len]));
                }
            }
        }

        for (var j = 0; j < N; j++)
        {
            a[j] = MontgomeryReduce((long)InvNttFactor * a[j]);
        }
    }

    public static void PointwiseMontgomeryScalar(Span<int> c, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        for (var i = 0; i < N; i++)
        {
            c[i] = MontgomeryReduce((long)a[i] * b[i]);
        }
    }

    public static void PointwiseAccumulateScalar(Span<int> c, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        for (var i = 0; i < N; i++)
        {
            c[i] += MontgomeryReduce((long)a[i] * b[i]);
        }
    }

    public static void ReduceScalar(Span<int> a)
    {
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = Reduce32(a[i]);
        }
    }

    public static void CAddQScalar(Span<int> a)
    {
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = CAddQ(a[i]);
        }
    }

    public static void AddScalar(Span<int> a, ReadOnlySpan<int> b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            a[i] += b[i];
        }
    }

    public static void SubtractScalar(Span<int> a, ReadOnlySpan<int> b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            a[i] -= b[i];
        }
    }

    /// <summary>
    /// True when some coefficient (a reduced, centred representative) has |a| ≥ <paramref name="bound"/>.
    /// Every coefficient is examined, so the time says nothing about which one failed or its sign.
    /// </summary>
    public static bool ExceedsNormScalar(ReadOnlySpan<int> a, int bound)
    {
        var any = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var v = a[i];
            var abs = v - ((v >> 31) & (2 * v));
            any |= (bound - 1 - abs) >> 31;
        }

        return any != 0;
    }

    /// <summary>Power2Round (FIPS 204 Algorithm 35) for a in [0, q): a = a1·2^13 + a0, -2^12 &lt; a0 ≤ 2^12.</summary>
    public static void Power2Round(Span<int> a1, Span<int> a0, ReadOnlySpan<int> a)
    {
        for (var i = 0; i < a.Length; i++)
        {
            var hi = (a[i] + (1 << (MlDsaParameters.D - 1)) - 1) >> MlDsaParameters.D;
            a0[i] = a[i] - (hi << MlDsaParameters.D);
            a1[i] = hi;
        }
    }

    /// <summary>
    /// Decompose (FIPS 204 Algorithm 36) for a in [0, q): a = a1·2γ2 + a0 with -γ2 &lt; a0 ≤ γ2, except that
    /// a - a0 = q - 1 maps to a1 = 0, a0 - 1. Division by 2γ2 is a fixed-point multiply, so it runs in constant time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Decompose(int a, int gamma2, out int a0)
    {
        var a1 = (a + 127) >> 7;
        if (gamma2 == (Q - 1) / 32)
        {
            a1 = ((a1 * 1025) + (1 << 21)) >> 22;
            a1 &= 15;
        }
        else
        {
            a1 = ((a1 * 11275) + (1 << 23)) >> 24;
            a1 ^= ((43 - a1) >> 31) & a1;
        }

        var low = a - (a1 * 2 * gamma2);
        low -= (((Q - 1) / 2) - low) >> 31 & Q;
        a0 = low;
        return a1;
    }

    /// <summary>
    /// MakeHint (FIPS 204 Algorithm 39) given the low part a0 = LowBits(w - cs2) + ct0 and the high part a1 of w:
    /// the high bits change exactly when a0 leaves (-γ2, γ2], or sits on -γ2 with a1 ≠ 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MakeHint(int a0, int a1, int gamma2)
    {
        var above = (gamma2 - a0) >> 31;
        var below = (a0 + gamma2) >> 31;
        var onEdge = ((a0 + gamma2) | -(a0 + gamma2)) >> 31;
        var a1NonZero = (a1 | -a1) >> 31;
        return (above | below | (~onEdge & a1NonZero)) & 1;
    }

    /// <summary>UseHint (FIPS 204 Algorithm 40) for a in [0, q). Verification only: its inputs are public.</summary>
    public static int UseHint(int a, int hint, int gamma2)
    {
        var a1 = Decompose(a, gamma2, out var a0);
        if (hint == 0)
        {
            return a1;
        }

        if (gamma2 == (Q - 1) / 32)
        {
            return a0 > 0 ? (a1 + 1) & 15 : (a1 - 1) & 15;
        }

        if (a0 > 0)
        {
            return a1 == 43 ? 0 : a1 + 1;
        }

        return a1 == 0 ? 43 : a1 - 1;
    }
}
