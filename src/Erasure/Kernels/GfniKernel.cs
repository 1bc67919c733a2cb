using System.Runtime.CompilerServices;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// GFNI: each product is one <c>vgf2p8affineqb</c> of a vector of input bytes with the coefficient's
/// 8×8 bit matrix. Two vectors per input per step, so each broadcast coefficient serves both and eight
/// independent accumulators hide the instruction's latency; inputs go in pairs, so one three-way XOR
/// (<c>vpternlogd</c> where AVX-512VL is present) adds two products to an accumulator.
/// </summary>
internal readonly unsafe struct GfniKernel<TVector, TWidth> : IGfKernelBody
    where TVector : struct
    where TWidth : struct, IGfniVector<TVector>
{
    public static int StepSize => 2 * TWidth.Size;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount
    {
        var c0 = (ulong*)coefficients;
        var c1 = (ulong*)(coefficients + rowStride);
        var c2 = (ulong*)(coefficients + (2 * rowStride));
        var c3 = (ulong*)(coefficients + (3 * rowStride));
        var size = TWidth.Size;
        for (var offset = start; offset < end; offset += 2 * size)
        {
            TVector a0 = default, b0 = default, a1 = default, b1 = default;
            TVector a2 = default, b2 = default, a3 = default, b3 = default;
            var j = 0;
            for (; j + 1 < inputCount; j += 2)
            {
                var first = inputs[j] + offset;
                var second = inputs[j + 1] + offset;
                var x = TWidth.Load(first);
                var y = TWidth.Load(first + size);
                var u = TWidth.Load(second);
                var v = TWidth.Load(second + size);
                AddPair(ref a0, ref b0, x, y, u, v, c0 + j);
                if (TRows.Value > 1)
                {
                    AddPair(ref a1, ref b1, x, y, u, v, c1 + j);
                }

                if (TRows.Value > 2)
                {
                    AddPair(ref a2, ref b2, x, y, u, v, c2 + j);
                }

                if (TRows.Value > 3)
                {
                    AddPair(ref a3, ref b3, x, y, u, v, c3 + j);
                }
            }

            if (j < inputCount)
            {
                var last = inputs[j] + offset;
                var x = TWidth.Load(last);
                var y = TWidth.Load(last + size);
                Add(ref a0, ref b0, x, y, c0[j]);
                if (TRows.Value > 1)
                {
                    Add(ref a1, ref b1, x, y, c1[j]);
                }

                if (TRows.Value > 2)
                {
                    Add(ref a2, ref b2, x, y, c2[j]);
                }

                if (TRows.Value > 3)
                {
                    Add(ref a3, ref b3, x, y, c3[j]);
                }
            }

            RowStores.Store<TVector, TWidth, TRows>(outputs, offset, a0, b0, a1, b1, a2, b2, a3, b3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddPair(ref TVector a, ref TVector b, TVector x, TVector y, TVector u, TVector v, ulong* coefficients)
    {
        var m = TWidth.Broadcast(coefficients[0]);
        var n = TWidth.Broadcast(coefficients[1]);
        a = TWidth.Xor(a, TWidth.Transform(x, m), TWidth.Transform(u, n));
        b = TWidth.Xor(b, TWidth.Transform(y, m), TWidth.Transform(v, n));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref TVector a, ref TVector b, TVector x, TVector y, ulong coefficient)
    {
        var m = TWidth.Broadcast(coefficient);
        a = TWidth.Xor(a, TWidth.Transform(x, m), default);
        b = TWidth.Xor(b, TWidth.Transform(y, m), default);
    }
}
