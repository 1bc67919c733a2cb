using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// Split-table multiplication on 512-bit vectors (AVX-512BW). A product c·x is
/// <c>lo[x &amp; 15] ⊕ hi[x &gt;&gt; 4]</c>, where lo and hi are c's two 16-entry nibble tables, each looked
/// up for 64 bytes at once by one byte shuffle. Two vectors per input per step, so each pair of tables
/// loaded serves 128 bytes.
/// </summary>
internal readonly unsafe struct ShuffleKernel512 : IGfKernelBody
{
    public static int StepSize => 128;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount
    {
        var c0 = coefficients;
        var c1 = coefficients + rowStride;
        var c2 = coefficients + (2 * rowStride);
        var c3 = coefficients + (3 * rowStride);
        var nibble = Vector512.Create((byte)0x0F);
        for (var offset = start; offset < end; offset += 128)
        {
            Vector512<byte> a0 = default, b0 = default, a1 = default, b1 = default;
            Vector512<byte> a2 = default, b2 = default, a3 = default, b3 = default;
            for (var j = 0; j < inputCount; j++)
            {
                var source = inputs[j] + offset;
                var x = Vector512.Load(source);
                var y = Vector512.Load(source + 64);
                var xl = x & nibble;
                var xh = Vector512.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble;
                var yl = y & nibble;
                var yh = Vector512.ShiftRightLogical(y.AsUInt16(), 4).AsByte() & nibble;
                Accumulate(ref a0, ref b0, c0 + (j * 32), xl, xh, yl, yh);
                if (TRows.Value > 1)
                {
                    Accumulate(ref a1, ref b1, c1 + (j * 32), xl, xh, yl, yh);
                }

                if (TRows.Value > 2)
                {
                    Accumulate(ref a2, ref b2, c2 + (j * 32), xl, xh, yl, yh);
                }

                if (TRows.Value > 3)
                {
                    Accumulate(ref a3, ref b3, c3 + (j * 32), xl, xh, yl, yh);
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

    // The 16-byte tables are broadcast to every 128-bit lane: the shuffle looks up within each lane.
    // The JIT folds each "a ^ p ^ q" into one vpternlogd.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(
        ref Vector512<byte> a, ref Vector512<byte> b, byte* tables, Vector512<byte> xl, Vector512<byte> xh, Vector512<byte> yl, Vector512<byte> yh)
    {
        var lo = Avx512F.BroadcastVector128ToVector512((uint*)tables).AsByte();
        var hi = Avx512F.BroadcastVector128ToVector512((uint*)(tables + 16)).AsByte();
        a ^= Avx512BW.Shuffle(lo, xl) ^ Avx512BW.Shuffle(hi, xh);
        b ^= Avx512BW.Shuffle(lo, yl) ^ Avx512BW.Shuffle(hi, yh);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(byte* target, Vector512<byte> first, Vector512<byte> second)
    {
        first.Store(target);
        second.Store(target + 64);
    }
}
