using System.Runtime.CompilerServices;

namespace Overlay.Erasure.Kernels;

/// <summary>The end of a vector kernel's step: two vectors of each of the pass's rows written out.</summary>
internal static unsafe class RowStores
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TVector, TWidth, TRows>(
        byte** outputs, nint offset, TVector a0, TVector b0, TVector a1, TVector b1, TVector a2, TVector b2, TVector a3, TVector b3)
        where TVector : struct
        where TWidth : struct, IByteVector<TVector>
        where TRows : struct, IRowCount
    {
        Store<TVector, TWidth>(outputs[0] + offset, a0, b0);
        if (TRows.Value > 1)
        {
            Store<TVector, TWidth>(outputs[1] + offset, a1, b1);
        }

        if (TRows.Value > 2)
        {
            Store<TVector, TWidth>(outputs[2] + offset, a2, b2);
        }

        if (TRows.Value > 3)
        {
            Store<TVector, TWidth>(outputs[3] + offset, a3, b3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TVector, TWidth>(byte* target, TVector first, TVector second)
        where TVector : struct
        where TWidth : struct, IByteVector<TVector>
    {
        TWidth.Store(first, target);
        TWidth.Store(second, target + TWidth.Size);
    }
}
