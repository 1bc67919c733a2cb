using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// Coefficient-wise helpers over whole polynomial vectors (lengths are multiples of 256), eight lanes at a
/// time on the vector paths. Each is the branch-free scalar formula applied per lane.
/// </summary>
internal static partial class PolyMath
{
    private static bool Vectorized => SimdControl.Level != SimdLevel.Scalar;

    /// <summary>Reduce32 on every coefficient. q = 2^23 - 2^13 + 1, so t·q is shifts and adds.</summary>
    public static void Reduce(Span<int> a)
    {
        if (!Vectorized)
        {
            ReduceScalar(a);
            return;
        }

        ref var r = ref MemoryMarshal.GetReference(a);
        for (var i = 0; i < a.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref r, (nuint)i);
            var t = Vector256.ShiftRightArithmetic(v + Vector256.Create(1 << 22), 23);
            (v - (t << 23) + (t << 13) - t).StoreUnsafe(ref r, (nuint)i);
        }
    }

    public static void CAddQ(Span<int> a)
    {
        if (!Vectorized)
        {
            CAddQScalar(a);
            return;
        }

        ref var r = ref MemoryMarshal.GetReference(a);
        var q = Vector256.Create(Q);
        for (var i = 0; i < a.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref r, (nuint)i);
            (v + (Vector256.ShiftRightArithmetic(v, 31) & q)).StoreUnsafe(ref r, (nuint)i);
        }
    }

    public static void Add(Span<int> a, ReadOnlySpan<int> b)
    {
        if (!Vectorized)
        {
            AddScalar(a, b);
            return;
        }

        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b.Slice(0, a.Length));
        for (var i = 0; i < a.Length; i += 8)
        {
            (Vector256.LoadUnsafe(ref ra, (nuint)i) + Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
        }
    }

    public static void Subtract(Span<int> a, ReadOnlySpan<int> b)
    {
        if (!Vectorized)
        {
            SubtractScalar(a, b);
            return;
        }

        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b.Slice(0, a.Length));
        for (var i = 0; i < a.Length; i += 8)
        {
            (Vector256.LoadUnsafe(ref ra, (nuint)i) - Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
        }
    }

    /// <summary>True when some |a_i| ≥ bound; every lane is examined, whatever the outcome.</summary>
    public static bool ExceedsNorm(ReadOnlySpan<int> a, int bound)
    {
        if (!Vectorized)
        {
            return ExceedsNormScalar(a, bound);
        }

        ref var r = ref MemoryMarshal.GetReference(a);
        var limit = Vector256.Create(bound - 1);
        var any = Vector256<int>.Zero;
        for (var i = 0; i < a.Length; i += 8)
        {
            any |= Vector256.GreaterThan(Vector256.Abs(Vector256.LoadUnsafe(ref r, (nuint)i)), limit);
        }

        return any != Vector256<int>.Zero;
    }

    /// <summary>Decompose on every coefficient of w (in [0, q)): high parts to <paramref name="high"/>, low parts back into w.</summary>
    public static void Decompose(Span<int> w, Span<int> high, int gamma2)
    {
        if (!Vectorized)
        {
            for (var i = 0; i < w.Length; i++)
            {
                high[i] = Decompose(w[i], gamma2, out var low);
                w[i] = low;
            }

            return;
        }

        ref var rw = ref MemoryMarshal.GetReference(w);
        ref var rh = ref MemoryMarshal.GetReference(high.Slice(0, w.Length));
        for (var i = 0; i < w.Length; i += 8)
        {
            var a = Vector256.LoadUnsafe(ref rw, (nuint)i);
            var a1 = DecomposeVector(a, gamma2, out var a0);
            a1.StoreUnsafe(ref rh, (nuint)i);
            a0.StoreUnsafe(ref rw, (nuint)i);
        }
    }

    private static Vector256<int> DecomposeVector(Vector256<int> a, int gamma2, out Vector256<int> a0)
    {
        var a1 = Vector256.ShiftRightArithmetic(a + Vector256.Create(127), 7);
        if (gamma2 == (Q - 1) / 32)
        {
            a1 = Vector256.ShiftRightArithmetic((a1 * 1025) + Vector256.Create(1 << 21), 22) & Vector256.Create(15);
        }
        else
        {
            a1 = Vector256.ShiftRightArithmetic((a1 * 11275) + Vector256.Create(1 << 23), 24);
            a1 ^= Vector256.ShiftRightArithmetic(Vector256.Create(43) - a1, 31) & a1;
        }

        var low = a - (a1 * (2 * gamma2));
        low -= Vector256.ShiftRightArithmetic(Vector256.Create((Q - 1) / 2) - low, 31) & Vector256.Create(Q);
        a0 = low;
        return a1;
    }

    /// <summary>MakeHint on every coefficient into <paramref name="hint"/> (0 or 1); returns the number of ones.</summary>
    public static int MakeHints(ReadOnlySpan<int> low, ReadOnlySpan<int> high, Span<int> hint, int gamma2)
    {
        var ones = 0;
        if (!Vectorized)
        {
            for (var i = 0; i < low.Length; i++)
            {
                var h = MakeHint(low[i], high[i], gamma2);
                hint[i] = h;
                ones += h;
            }

            return ones;
        }

        ref var rl = ref MemoryMarshal.GetReference(low);
        ref var rh = ref MemoryMarshal.GetReference(high.Slice(0, low.Length));
        ref var rt = ref MemoryMarshal.GetReference(hint.Slice(0, low.Length));
        var g = Vector256.Create(gamma2);
        var count = Vector256<int>.Zero;
        for (var i = 0; i < low.Length; i += 8)
        {
            var a0 = Vector256.LoadUnsafe(ref rl, (nuint)i);
            var a1 = Vector256.LoadUnsafe(ref rh, (nuint)i);
            var outside = Vector256.GreaterThan(a0, g) | Vector256.LessThan(a0, -g);
            var onEdge = Vector256.Equals(a0, -g) & ~Vector256.Equals(a1, Vector256<int>.Zero);
            var h = (outside | onEdge) & Vector256<int>.One;
            h.StoreUnsafe(ref rt, (nuint)i);
            count += h;
        }

        return Vector256.Sum(count);
    }

    /// <summary>UseHint on every coefficient of w (in [0, q)), in place. Verification only: all inputs are public.</summary>
    public static void UseHints(Span<int> w, ReadOnlySpan<int> hint, int gamma2)
    {
        if (!Vectorized)
        {
            for (var i = 0; i < w.Length; i++)
            {
                w[i] = UseHint(w[i], hint[i], gamma2);
            }

            return;
        }

        ref var rw = ref MemoryMarshal.GetReference(w);
        ref var rh = ref MemoryMarshal.GetReference(hint.Slice(0, w.Length));
        for (var i = 0; i < w.Length; i += 8)
        {
            var a1 = DecomposeVector(Vector256.LoadUnsafe(ref rw, (nuint)i), gamma2, out var a0);
            var h = Vector256.LoadUnsafe(ref rh, (nuint)i);

            // +1 where r0 > 0, -1 otherwise, only where the hint is set; then wrap modulo m = (q - 1)/(2γ2).
            var step = (Vector256.GreaterThan(a0, Vector256<int>.Zero) & Vector256.Create(2)) - Vector256<int>.One;
            a1 += step & -h;
            if (gamma2 == (Q - 1) / 32)
            {
                a1 &= Vector256.Create(15);
            }
            else
            {
                a1 = Vector256.ConditionalSelect(Vector256.GreaterThan(a1, Vector256.Create(43)), Vector256<int>.Zero, a1);
                a1 = Vector256.ConditionalSelect(Vector256.LessThan(a1, Vector256<int>.Zero), Vector256.Create(43), a1);
            }

            a1.StoreUnsafe(ref rw, (nuint)i);
        }
    }
}
