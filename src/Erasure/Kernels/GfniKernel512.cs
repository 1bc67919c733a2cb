using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// GFNI on 512-bit vectors: each product is one <c>vgf2p8affineqb</c> of 64 input bytes with the
/// coefficient's 8×8 bit matrix. Two vectors per input per step, so each broadcast coefficient serves
/// 128 bytes and eight independent accumulators hide the instruction's latency.
/// </summary>
internal readonly unsafe struct GfniKernel512 : IGfKernelBody
{
    public static int StepSize => 128;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount
    {
        var c0 = (ulong*)coefficients;
        var c1 = (ulong*)(coefficients + rowStride);
        var c2 = (ulong*)(coefficients + (2 * rowStride));
        var c3 = (ulong*)(coefficients + (3 * rowStride));
        for (var offset = start; offset < end; offset += 128)
        {
            Vector512<byte> a0 = default, b0 = default, a1 = default, b1 = default;
            Vector512<byte> a2 = default, b2 = default, a3 = default, b3 = default;
            var j = 0;

            // Inputs in pairs: one three-way XOR (vpternlogd) adds both products to an accumulator.
            for (; j + 1 < inputCount; j += 2)
            {
                var first = inputs[j] + offset;
                var second = inputs[j + 1] + offset;
                var x = Vector512.Load(first);
                var y = Vector512.Load(first + 64);
                var u = Vector512.Load(second);
                var v = Vector512.Load(second + 64);
                Accumulate(ref a0, ref b0, x, y, u, v, c0 + j);
                if (TRows.Value > 1)
                {
                    Accumulate(ref a1, ref b1, x, y, u, v, c1 + j);
                }

                if (TRows.Value > 2)
                {
                    Accumulate(ref a2, ref b2, x, y, u, v, c2 + j);
                }

                if (TRows.Value > 3)
                {
                    Accumulate(ref a3, ref b3, x, y, u, v, c3 + j);
                }
            }

            if (j < inputCount)
            {
                var last = inputs[j] + offset;
                var x = Vector512.Load(last);
                var y = Vector512.Load(last + 64);
                Accumulate(ref a0, ref b0, x, y, c0[j]);
                if (TRows.Value > 1)
                {
                    Accumulate(ref a1, ref b1, x, y, c1[j]);
                }

                if (TRows.Value > 2)
                {
                    Accumulate(ref a2, ref b2, x, y, c2[j]);
                }

                if (TRows.Value > 3)
                {
                    Accumulate(ref a3, ref b3, x, y, c3[j]);
                }
            }

            Store(outputs[0] + offset, a0, b0);
            if (TRows.Value > 1)
            {
                Store(outputs[1] + offset, a1, b1);
            }

            if (TRows.Value > 2)
            {
                Store(outputs[2] + offset, a2, b2);
            }

            if (TRows.Value > 3)
            {
                Store(outputs[3] + offset, a3, b3);
            }
        }
    }

    // 0x96 is the truth table of a ⊕ b ⊕ c.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector512<byte> a, ref Vector512<byte> b, Vector512<byte> x, Vector512<byte> y, Vector512<byte> u, Vector512<byte> v, ulong* coefficients)
    {
        var m = Vector512.Create(coefficients[0]).AsByte();
        var n = Vector512.Create(coefficients[1]).AsByte();
        a = Avx512F.TernaryLogic(a, Gfni.V512.GaloisFieldAffineTransform(x, m, 0), Gfni.V512.GaloisFieldAffineTransform(u, n, 0), 0x96);
        b = Avx512F.TernaryLogic(b, Gfni.V512.GaloisFieldAffineTransform(y, m, 0), Gfni.V512.GaloisFieldAffineTransform(v, n, 0), 0x96);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector512<byte> a, ref Vector512<byte> b, Vector512<byte> x, Vector512<byte> y, ulong coefficient)
    {
        var m = Vector512.Create(coefficient).AsByte();
        a ^= Gfni.V512.GaloisFieldAffineTransform(x, m, 0);
        b ^= Gfni.V512.GaloisFieldAffineTransform(y, m, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(byte* target, Vector512<byte> first, Vector512<byte> second)
    {
        first.Store(target);
        second.Store(target + 64);
    }
}
