using System.Runtime.CompilerServices;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// Split-table multiplication: a product c·x is <c>lo[x &amp; 15] ⊕ hi[x &gt;&gt; 4]</c>, where lo and hi
/// are c's two 16-entry nibble tables, each looked up for a whole vector of bytes by one byte shuffle.
/// Two vectors per input per step, so each pair of tables loaded serves both.
/// </summary>
internal readonly unsafe struct SplitTableKernel<TVector, TWidth> : IGfKernelBody
    where TVector : struct
    where TWidth : struct, ISplitTableVector<TVector>
{
    public static int StepSize => 2 * TWidth.Size;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount
    {
        var c0 = coefficients;
        var c1 = coefficients + rowStride;
        var c2 = coefficients + (2 * rowStride);
        var c3 = coefficients + (3 * rowStride);
        var size = TWidth.Size;
        for (var offset = start; offset < end; offset += 2 * size)
        {
            TVector a0 = default, b0 = default, a1 = default, b1 = default;
            TVector a2 = default, b2 = default, a3 = default, b3 = default;
            for (var j = 0; j < inputCount; j++)
            {
                var source = inputs[j] + offset;
                var x = TWidth.Load(source);
                var y = TWidth.Load(source + size);
                var (xl, xh) = (TWidth.LowNibbles(x), TWidth.HighNibbles(x));
                var (yl, yh) = (TWidth.LowNibbles(y), TWidth.HighNibbles(y));
                Add(ref a0, ref b0, c0 + (j * 32), xl, xh, yl, yh);
                if (TRows.Value > 1)
                {
                    Add(ref a1, ref b1, c1 + (j * 32), xl, xh, yl, yh);
                }

                if (TRows.Value > 2)
                {
                    Add(ref a2, ref b2, c2 + (j * 32), xl, xh, yl, yh);
                }

                if (TRows.Value > 3)
                {
                    Add(ref a3, ref b3, c3 + (j * 32), xl, xh, yl, yh);
                }
            }

            RowStores.Store<TVector, TWidth, TRows>(outputs, offset, a0, b0, a1, b1, a2, b2, a3, b3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref TVector a, ref TVector b, byte* tables, TVector xl, TVector xh, TVector yl, TVector yh)
    {
        var lo = TWidth.Table(tables);
        var hi = TWidth.Table(tables + 16);
        a = TWidth.Xor(a, TWidth.Lookup(lo, xl), TWidth.Lookup(hi, xh));
        b = TWidth.Xor(b, TWidth.Lookup(lo, yl), TWidth.Lookup(hi, yh));
    }
}
