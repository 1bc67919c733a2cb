using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>Which kernels this processor runs, and the one a codec uses when none is named.</summary>
internal static class GfKernels
{
    /// <summary>All kernels, slowest first.</summary>
    public static readonly GfKernel[] All =
    [
        GfKernel.Scalar, GfKernel.Vector128Shuffle, GfKernel.Vector256Shuffle, GfKernel.Vector512Shuffle,
        GfKernel.Vector256Gfni, GfKernel.Vector512Gfni,
    ];

    /// <summary>
    /// The fastest supported kernel. GFNI does a product in one instruction where the split tables
    /// need two lookups, two masks and a shift, so it comes first whenever the processor has it.
    /// </summary>
    public static GfKernel Best { get; } = PickBest();

    public static bool IsSupported(GfKernel kernel) => kernel switch
    {
        GfKernel.Scalar => true,
        GfKernel.Vector128Shuffle => Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian,
        GfKernel.Vector256Shuffle => Avx2.IsSupported,
        GfKernel.Vector512Shuffle => Avx512BW.IsSupported,
        GfKernel.Vector256Gfni => Gfni.V256.IsSupported && Avx2.IsSupported,
        GfKernel.Vector512Gfni => Gfni.V512.IsSupported && Avx512BW.IsSupported,
        _ => false,
    };

    private static GfKernel PickBest()
    {
        for (var i = All.Length - 1; i > 0; i--)
        {
            if (IsSupported(All[i]))
            {
                return All[i];
            }
        }

        return GfKernel.Scalar;
    }
}
