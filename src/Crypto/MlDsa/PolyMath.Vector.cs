using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// The NTT and pointwise products with AVX2 and AVX-512. A Montgomery product in 32-bit lanes is built from
/// vpmuldq, which multiplies the even lanes into 64-bit products: the odd lanes are shifted down and done the
/// same way, and the two halves' high words are blended back. Multiplying by a twiddle ζ also uses ζ·q^-1
/// precomputed, so t = a·ζ·q^-1 mod 2^32 needs no 32-bit low multiply. The arithmetic, and so every bound,
/// is the same as the scalar code's.
/// </summary>
internal static partial class PolyMath
{
    private static readonly Vector256<int> Q256 = Vector256.Create(Q);
    private static readonly Vector512<int> Q512 = Vector512.Create(Q);

    /// <summary>Lane-arranged twiddles for the last three forward levels (len 4, 2, 1), and for the first three inverse levels.</summary>
    private static readonly int[] ForwardTail = BuildTail(inverse: false);
    private static readonly int[] InverseTail = BuildTail(inverse: true);

    /// <summary>
    /// Twiddle vectors for the in-register levels. Sixteen coefficients (two vectors) are handled together; the
    /// shuffles that pair them up fix which block each lane belongs to. Layout: [level][pair m][8 lanes] for the
    /// twiddles, then the same again multiplied by q^-1.
    /// </summary>
    private static int[] BuildTail(bool inverse)
    {
        // Lane → block (within the 16 coefficients) after the shuffles used at len 4, 2 and 1.
        ReadOnlySpan<int> len4 = [0, 0, 0, 0, 1, 1, 1, 1];
        ReadOnlySpan<int> len2 = [0, 0, 2, 2, 1, 1, 3, 3];
        ReadOnlySpan<int> len1 = [0, 1, 4, 5, 2, 3, 6, 7];
        var table = new int[2 * 3 * 16 * 8];
        for (var level = 0; level < 3; level++)
        {
            var lanes = level == 0 ? len4 : level == 1 ? len2 : len1;
            var blocksPerPair = 2 << level;
            var blocks = 32 << level;
            for (var m = 0; m < 16; m++)
            {
                for (var lane = 0; lane < 8; lane++)
                {
                    var block = (m * blocksPerPair) + lanes[lane];
                    var zeta = inverse ? -Zetas[(2 * blocks) - 1 - block] : Zetas[blocks + block];
                    var at = (((level * 16) + m) * 8) + lane;
                    table[at] = zeta;
                    table[(3 * 16 * 8) + at] = zeta * QInv;
                }
            }
        }

        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MontMul(Vector256<int> a, Vector256<int> b, Vector256<int> bQInv)
    {
        var productEven = Avx2.Multiply(a, b);
        var tEven = Avx2.Multiply(a, bQInv).AsInt32();
        var aOdd = Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32();
        var bOdd = Avx2.ShiftRightLogical(b.AsInt64(), 32).AsInt32();
        var bQInvOdd = Avx2.ShiftRightLogical(bQInv.AsInt64(), 32).AsInt32();
        var productOdd = Avx2.Multiply(aOdd, bOdd);
        var tOdd = Avx2.Multiply(aOdd, bQInvOdd).AsInt32();
        var even = Avx2.Subtract(productEven, Avx2.Multiply(tEven, Q256));
        var odd = Avx2.Subtract(productOdd, Avx2.Multiply(tOdd, Q256));
        return Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b10101010);
    }

    /// <summary>Montgomery product by a broadcast constant: b and b·q^-1 are the same in every lane, so no shifts for them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MontMulBroadcast(Vector256<int> a, Vector256<int> b, Vector256<int> bQInv)
    {
        var productEven = Avx2.Multiply(a, b);
        var tEven = Avx2.Multiply(a, bQInv).AsInt32();
        var aOdd = Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32();
        var productOdd = Avx2.Multiply(aOdd, b);
        var tOdd = Avx2.Multiply(aOdd, bQInv).AsInt32();
        var even = Avx2.Subtract(productEven, Avx2.Multiply(tEven, Q256));
        var odd = Avx2.Subtract(productOdd, Avx2.Multiply(tOdd, Q256));
        return Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b10101010);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MontMulBroadcast(Vector512<int> a, Vector512<int> b, Vector512<int> bQInv)
    {
        var productEven = Avx512F.Multiply(a, b);
        var tEven = Avx512F.Multiply(a, bQInv).AsInt32();
        var aOdd = Avx512F.ShiftRightLogical(a.AsInt64(), 32).AsInt32();
        var productOdd = Avx512F.Multiply(aOdd, b);
        var tOdd = Avx512F.Multiply(aOdd, bQInv).AsInt32();
        var even = Avx512F.Subtract(productEven, Avx512F.Multiply(tEven, Q512));
        var odd = Avx512F.Subtract(productOdd, Avx512F.Multiply(tOdd, Q512));
        var highMask = Vector512.Create(unchecked((long)0xFFFFFFFF00000000UL));
        return (Avx512F.ShiftRightLogical(even, 32) | (odd & highMask)).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MontMul(Vector512<int> a, Vector512<int> b, Vector512<int> bQInv)
    {
        var productEven = Avx512F.Multiply(a, b);
        var tEven = Avx512F.Multiply(a, bQInv).AsInt32();
        var aOdd = Avx512F.ShiftRightLogical(a.AsInt64(), 32).AsInt32();
        var bOdd = Avx512F.ShiftRightLogical(b.AsInt64(), 32).AsInt32();
        var bQInvOdd = Avx512F.ShiftRightLogical(bQInv.AsInt64(), 32).AsInt32();
        var productOdd = Avx512F.Multiply(aOdd, bOdd);
        var tOdd = Avx512F.Multiply(aOdd, bQInvOdd).AsInt32();
        var even = Avx512F.Subtract(productEven, Avx512F.Multiply(tEven, Q512));
        var odd = Avx512F.Subtract(productOdd, Avx512F.Multiply(tOdd, Q512));
        var highMask = Vector512.Create(unchecked((long)0xFFFFFFFF00000000UL));
        return (Avx512F.ShiftRightLogical(even, 32) | (odd & highMask)).AsInt32();
    }

    private static void NttVector256(Span<int> a)
    {
        ref var r = ref MemoryMarshal.GetReference(a.Slice(0, N));
        var k = 0;
        for (var len = 128; len >= 8; len >>= 1)
        {
            NttLevel256(ref r, len, ref k);
        }

        NttTail256(ref r);
    }

    private static void NttVector512(Span<int> a)
    {
        ref var r = ref MemoryMarshal.GetReference(a.Slice(0, N));
        var k = 0;
        for (var len = 128; len >= 16; len >>= 1)
        {
            for (var start = 0; start < N; start += 2 * len)
            {
                var zeta = Zetas[++k];
                var z = Vector512.Create(zeta);
                var zq = Vector512.Create(zeta * QInv);
                for (var j = start; j < start + len; j += 16)
                {
                    var lo = Vector512.LoadUnsafe(ref r, (nuint)j);
                    var hi = Vector512.LoadUnsafe(ref r, (nuint)(j + len));
                    var t = MontMulBroadcast(hi, z, zq);
                    (lo - t).StoreUnsafe(ref r, (nuint)(j + len));
                    (lo + t).StoreUnsafe(ref r, (nuint)j);
                }
            }
        }

        NttLevel256(ref r, 8, ref k);
        NttTail256(ref r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NttLevel256(ref int r, int len, ref int k)
    {
        for (var start = 0; start < N; start += 2 * len)
        {
            var zeta = Zetas[++k];
            var z = Vector256.Create(zeta);
            var zq = Vector256.Create(zeta * QInv);
            for (var j = start; j < start + len; j += 8)
            {
                var lo = Vector256.LoadUnsafe(ref r, (nuint)j);
                var hi = Vector256.LoadUnsafe(ref r, (nuint)(j + len));
                var t = MontMulBroadcast(hi, z, zq);
                (lo - t).StoreUnsafe(ref r, (nuint)(j + len));
                (lo + t).StoreUnsafe(ref r, (nuint)j);
            }
        }
    }

    /// <summary>Forward levels len = 4, 2, 1 on pairs of vectors, each level shuffling the partners into two vectors.</summary>
    private static void NttTail256(ref int r)
    {
        ref var table = ref MemoryMarshal.GetArrayDataReference(ForwardTail);
        const int qinvOffset = 3 * 16 * 8;
        for (var m = 0; m < 16; m++)
        {
            var v0 = Vector256.LoadUnsafe(ref r, (nuint)(16 * m));
            var v1 = Vector256.LoadUnsafe(ref r, (nuint)((16 * m) + 8));

            // len 4: halves of each vector.
            var a = Avx2.Permute2x128(v0, v1, 0x20);
            var b = Avx2.Permute2x128(v0, v1, 0x31);
            var z = Vector256.LoadUnsafe(ref table, (nuint)(m * 8));
            var zq = Vector256.LoadUnsafe(ref table, (nuint)(qinvOffset + (m * 8)));
            var t = MontMul(b, z, zq);
            b = a - t;
            a += t;
            v0 = Avx2.Permute2x128(a, b, 0x20);
            v1 = Avx2.Permute2x128(a, b, 0x31);

            // len 2: 64-bit pairs.
            a = Avx2.UnpackLow(v0.AsInt64(), v1.AsInt64()).AsInt32();
            b = Avx2.UnpackHigh(v0.AsInt64(), v1.AsInt64()).AsInt32();
            z = Vector256.LoadUnsafe(ref table, (nuint)(128 + (m * 8)));
            zq = Vector256.LoadUnsafe(ref table, (nuint)(qinvOffset + 128 + (m * 8)));
            t = MontMul(b, z, zq);
            b = a - t;
            a += t;
            v0 = Avx2.UnpackLow(a.AsInt64(), b.AsInt64()).AsInt32();
            v1 = Avx2.UnpackHigh(a.AsInt64(), b.AsInt64()).AsInt32();

            // len 1: even and odd coefficients.
            a = Avx.Shuffle(v0.AsSingle(), v1.AsSingle(), 0x88).AsInt32();
            b = Avx.Shuffle(v0.AsSingle(), v1.AsSingle(), 0xDD).AsInt32();
            z = Vector256.LoadUnsafe(ref table, (nuint)(256 + (m * 8)));
            zq = Vector256.LoadUnsafe(ref table, (nuint)(qinvOffset + 256 + (m * 8)));
            t = MontMul(b, z, zq);
            b = a - t;
            a += t;
            Avx2.UnpackLow(a, b).StoreUnsafe(ref r, (nuint)(16 * m));
            Avx2.UnpackHigh(a, b).StoreUnsafe(ref r, (nuint)((16 * m) + 8));
        }
    }

    /// <summary>Inverse levels len = 1, 2, 4 (Gentleman–Sande butterflies), mirroring <see cref="NttTail256"/>.</summary>
    private static void InvNttTail256(ref int r)
    {
        ref var table = ref MemoryMarshal.GetArrayDataReference(InverseTail);
        const int qinvOffset = 3 * 16 * 8;
        for (var m = 0; m < 16; m++)
        {
            var v0 = Vector256.LoadUnsafe(ref r, (nuint)(16 * m));
            var v1 = Vector256.LoadUnsafe(ref r, (nuint)((16 * m) + 8));

            var a = Avx.Shuffle(v0.AsSingle(), v1.AsSingle(), 0x88).AsInt32();
            var b = Avx.Shuffle(v0.AsSingle(), v1.AsSingle(), 0xDD).AsInt32();
            var z = Vector256.LoadUnsafe(ref table, (nuint)(256 + (m * 8)));
            var zq = Vector256.LoadUnsafe(ref table, (nuint)(qinvOffset + 256 + (m * 8)));
            var sum = a + b;
            b = MontMul(a - b, z, zq);
            a = sum;
            v0 = Avx2.UnpackLow(a, b);
            v1 = Avx2.UnpackHigh(a, b);

            a = Avx2.UnpackLow(v0.AsInt64(), v1.AsInt64()).AsInt32();
            b = Avx2.UnpackHigh(v0.AsInt64(), v1.AsInt64()).AsInt32();
            z = Vector256.LoadUnsafe(ref table, (nuint)(128 + (m * 8)));
            zq = Vector256.LoadUnsafe(ref table, (nuint)(qinvOffset + 128 + (m * 8)));
            sum = a + b;
            b = MontMul(a - b, z, zq);
            a = sum;
            v0 = Avx2.UnpackLow(a.AsInt64(), b.AsInt64()).AsInt32();
            v1 = Avx2.UnpackHigh(a.AsInt64(), b.AsInt64()).AsInt32();

            a = Avx2.Permute2x128(v0, v1, 0x20);
            b = Avx2.Permute2x128(v0, v1, 0x31);
            z = Vector256.LoadUnsafe(ref table, (nuint)(m * 8));
            zq = Vector256.LoadUnsafe(ref table, (nuint)(qinvOffset + (m * 8)));
            sum = a + b;
            b = MontMul(a - b, z, zq);
            a = sum;
            Avx2.Permute2x128(a, b, 0x20).StoreUnsafe(ref r, (nuint)(16 * m));
            Avx2.Permute2x128(a, b, 0x31).StoreUnsafe(ref r, (nuint)((16 * m) + 8));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InvNttLevel256(ref int r, int len, ref int k)
    {
        for (var start = 0; start < N; start += 2 * len)
        {
            var zeta = -Zetas[--k];
            var z = Vector256.Create(zeta);
            var zq = Vector256.Create(zeta * QInv);
            for (var j = start; j < start + len; j += 8)
            {
                var lo = Vector256.LoadUnsafe(ref r, (nuint)j);
                var hi = Vector256.LoadUnsafe(ref r, (nuint)(j + len));
                (lo + hi).StoreUnsafe(ref r, (nuint)j);
                MontMulBroadcast(lo - hi, z, zq).StoreUnsafe(ref r, (nuint)(j + len));
            }
        }
    }

    private static void InvNttToMontVector256(Span<int> a)
    {
        ref var r = ref MemoryMarshal.GetReference(a.Slice(0, N));
        InvNttTail256(ref r);
        var k = 32;
        for (var len = 8; len < N; len <<= 1)
        {
            InvNttLevel256(ref r, len, ref k);
        }

        var f = Vector256.Create(InvNttFactor);
        var fq = Vector256.Create(unchecked(InvNttFactor * QInv));
        for (var j = 0; j < N; j += 8)
        {
            MontMulBroadcast(Vector256.LoadUnsafe(ref r, (nuint)j), f, fq).StoreUnsafe(ref r, (nuint)j);
        }
    }

    private static void InvNttToMontVector512(Span<int> a)
    {
        ref var r = ref MemoryMarshal.GetReference(a.Slice(0, N));
        InvNttTail256(ref r);
        var k = 32;
        InvNttLevel256(ref r, 8, ref k);
        for (var len = 16; len < N; len <<= 1)
        {
            for (var start = 0; start < N; start += 2 * len)
            {
                var zeta = -Zetas[--k];
                var z = Vector512.Create(zeta);
                var zq = Vector512.Create(zeta * QInv);
                for (var j = start; j < start + len; j += 16)
                {
                    var lo = Vector512.LoadUnsafe(ref r, (nuint)j);
                    var hi = Vector512.LoadUnsafe(ref r, (nuint)(j + len));
                    (lo + hi).StoreUnsafe(ref r, (nuint)j);
                    MontMulBroadcast(lo - hi, z, zq).StoreUnsafe(ref r, (nuint)(j + len));
                }
            }
        }

        var f = Vector512.Create(InvNttFactor);
        var fq = Vector512.Create(unchecked(InvNttFactor * QInv));
        for (var j = 0; j < N; j += 16)
        {
            MontMulBroadcast(Vector512.LoadUnsafe(ref r, (nuint)j), f, fq).StoreUnsafe(ref r, (nuint)j);
        }
    }

    private static void PointwiseVector(Span<int> c, ReadOnlySpan<int> a, ReadOnlySpan<int> b, bool accumulate)
    {
        ref var rc = ref MemoryMarshal.GetReference(c.Slice(0, N));
        ref var ra = ref MemoryMarshal.GetReference(a.Slice(0, N));
        ref var rb = ref MemoryMarshal.GetReference(b.Slice(0, N));
        if (SimdControl.Level == SimdLevel.Vector512)
        {
            var qinv = Vector512.Create(QInv);
            for (var j = 0; j < N; j += 16)
            {
                var vb = Vector512.LoadUnsafe(ref rb, (nuint)j);
                var product = MontMul(Vector512.LoadUnsafe(ref ra, (nuint)j), vb, Avx512F.MultiplyLow(vb, qinv));
                if (accumulate)
                {
                    product += Vector512.LoadUnsafe(ref rc, (nuint)j);
                }

                product.StoreUnsafe(ref rc, (nuint)j);
            }
        }
        else
        {
            var qinv = Vector256.Create(QInv);
            for (var j = 0; j < N; j += 8)
            {
                var vb = Vector256.LoadUnsafe(ref rb, (nuint)j);
                var product = MontMul(Vector256.LoadUnsafe(ref ra, (nuint)j), vb, Avx2.MultiplyLow(vb, qinv));
                if (accumulate)
                {
                    product += Vector256.LoadUnsafe(ref rc, (nuint)j);
                }

                product.StoreUnsafe(ref rc, (nuint)j);
            }
        }
    }
}
