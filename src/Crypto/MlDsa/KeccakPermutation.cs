using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto.MlDsa;

internal static partial class KeccakPermutation
{
    /// <summary>The iota step's round constants (FIPS 202 §3.2.5), one per round.</summary>
    private static ReadOnlySpan<ulong> RoundConstants =>
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808AUL, 0x8000000080008000UL,
        0x000000000000808BUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008AUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000AUL,
        0x000000008000808BUL, 0x800000000000008BUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800AUL, 0x800000008000000AUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    // The rotation counts are constants at every call site, so the JIT emits the immediate forms.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Rol256(Vector256<ulong> v, [ConstantExpected] byte count) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateLeft(v, count)
            : Vector256.ShiftLeft(v, count) | Vector256.ShiftRightLogical(v, 64 - count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Rol512(Vector512<ulong> v, [ConstantExpected] byte count) =>
        Avx512F.IsSupported
            ? Avx512F.RotateLeft(v, count)
            : Vector512.ShiftLeft(v, count) | Vector512.ShiftRightLogical(v, 64 - count);
}
