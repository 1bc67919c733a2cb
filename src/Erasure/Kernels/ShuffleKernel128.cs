using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// Split-table multiplication on 128-bit vectors: SSSE3 <c>pshufb</c> on x64, <c>tbl</c> on Arm64. A product c·x is <c>lo[x &amp; 15] ⊕ hi[x &gt;&gt; 4]</c>, where lo and
/// hi are c's two 16-entry nibble tables, each looked up for 16 bytes at once by one byte shuffle.
/// </summary>
internal readonly unsafe struct ShuffleKernel128 : IGfKernelBody
{
    public static int StepSize => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount
    {
        var c0 = coefficients;
        var c1 = coefficients + rowStride;
        var c2 = coefficients + (2 * rowStride);
        var c3 = coefficients + (3 * rowStride);
        var nibble = Vector128.Create((byte)0x0F);
        for (var offset = start; offset < end; offset += 16)
        {
            Vector128<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < inputCount; j++)
            {
                var x = Vector128.Load(inputs[j] + offset);
                var lo = x & nibble;
                var hi = Vector128.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble;
                a0 ^= Product(c0 + (j * 32), lo, hi);

                if (TRows.Value > 1)
                {
                    a1 ^= Product(c1 + (j * 32), lo, hi);
                }

                if (TRows.Value > 2)
                {
                    a2 ^= Product(c2 + (j * 32), lo, hi);
                }

                if (TRows.Value > 3)
                {
                    a3 ^= Product(c3 + (j * 32), lo, hi);
                }
            }

            a0.Store(outputs[0] + offset);

            if (TRows.Value > 1)
            {
                a1.Store(outputs[1] + offset);
            }

            if (TRows.Value > 2)
            {
                a2.Store(outputs[2] + offset);
            }

            if (TRows.Value > 3)
            {
                a3.Store(outputs[3] + offset);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Product(byte* tables, Vector128<byte> lo, Vector128<byte> hi) =>
        Vector128.ShuffleNative(Vector128.Load(tables), lo) ^ Vector128.ShuffleNative(Vector128.Load(tables + 16), hi);
}
