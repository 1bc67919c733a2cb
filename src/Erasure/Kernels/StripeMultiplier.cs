using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// Multiplies a coefficient matrix by a set of equal-length shards: <c>outputs[r] = Σ_j M[firstRow + r][j] · inputs[j]</c>.
/// Rows go in passes of up to <see cref="MaxRowsPerPass"/>, each keeping its outputs in registers
/// and reading every input once. When more passes are needed the columns go in blocks sized so the
/// inputs of a block stay in the L2 cache between passes. A ragged tail shorter than one kernel step
/// is copied into a zero-padded step (a zero byte adds nothing to a product sum) so every byte goes
/// through the same kernel.
/// </summary>
internal static unsafe class StripeMultiplier
{
    /// <summary>Outputs computed by one pass over the inputs.</summary>
    public const int MaxRowsPerPass = 4;

    // Inputs of one column block, in bytes: about a quarter of a 1–2 MiB L2 cache.
    private const int BlockInputBytes = 256 * 1024;

    /// <summary>Writes <paramref name="rowCount"/> outputs of <paramref name="length"/> bytes each.</summary>
    public static void Multiply(CoefficientMatrix matrix, int firstRow, int rowCount, byte** inputs, byte** outputs, nint length)
    {
        switch (matrix.Kernel)
        {
            case GfKernel.Vector512Gfni:
                Multiply<GfniKernel<Vector512<byte>, ByteVector512>>(matrix, firstRow, rowCount, inputs, outputs, length);
                break;
            case GfKernel.Vector256Gfni:
                Multiply<GfniKernel<Vector256<byte>, ByteVector256>>(matrix, firstRow, rowCount, inputs, outputs, length);
                break;
            case GfKernel.Vector512Shuffle:
                Multiply<SplitTableKernel<Vector512<byte>, ByteVector512>>(matrix, firstRow, rowCount, inputs, outputs, length);
                break;
            case GfKernel.Vector256Shuffle:
                Multiply<SplitTableKernel<Vector256<byte>, ByteVector256>>(matrix, firstRow, rowCount, inputs, outputs, length);
                break;
            case GfKernel.Vector128Shuffle:
                Multiply<SplitTableKernel<Vector128<byte>, ByteVector128>>(matrix, firstRow, rowCount, inputs, outputs, length);
                break;
            default:
                Multiply<ScalarKernel>(matrix, firstRow, rowCount, inputs, outputs, length);
                break;
        }
    }

    private static void Multiply<TKernel>(CoefficientMatrix matrix, int firstRow, int rowCount, byte** inputs, byte** outputs, nint length)
        where TKernel : struct, IGfKernelBody
    {
        var inputCount = matrix.Columns;
        var step = TKernel.StepSize;
        nint whole = length - (length % step);
        nint block = rowCount <= MaxRowsPerPass
            ? whole
            : Math.Max(step, BlockInputBytes / inputCount / step * step);
        for (nint start = 0; start < whole; start += block)
        {
            var end = Math.Min(whole, start + block);
            for (var r = 0; r < rowCount; r += MaxRowsPerPass)
            {
                Pass<TKernel>(matrix, firstRow + r, Math.Min(MaxRowsPerPass, rowCount - r), inputs, outputs + r, start, end);
            }
        }

        if (whole < length)
        {
            Tail<TKernel>(matrix, firstRow, rowCount, inputs, outputs, whole, (int)(length - whole));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass<TKernel>(CoefficientMatrix matrix, int row, int rows, byte** inputs, byte** outputs, nint start, nint end)
        where TKernel : struct, IGfKernelBody
    {
        var coefficients = matrix.Row(row);
        var stride = matrix.RowStride;
        var inputCount = matrix.Columns;
        switch (rows)
        {
            case 4:
                TKernel.Multiply<FourRows>(coefficients, stride, inputs, inputCount, outputs, start, end);
                break;
            case 3:
                TKernel.Multiply<ThreeRows>(coefficients, stride, inputs, inputCount, outputs, start, end);
                break;
            case 2:
                TKernel.Multiply<TwoRows>(coefficients, stride, inputs, inputCount, outputs, start, end);
                break;
            default:
                TKernel.Multiply<OneRow>(coefficients, stride, inputs, inputCount, outputs, start, end);
                break;
        }
    }

    // The last (length − offset) < step bytes: each input's tail is copied into a zeroed step, the
    // kernel runs once on those copies, and each output's tail is copied back.
    [SkipLocalsInit]
    private static void Tail<TKernel>(CoefficientMatrix matrix, int firstRow, int rowCount, byte** inputs, byte** outputs, nint offset, int tail)
        where TKernel : struct, IGfKernelBody
    {
        var step = TKernel.StepSize;
        var inputCount = matrix.Columns;
        var padded = stackalloc byte[(inputCount + MaxRowsPerPass) * step];
        var paddedInputs = stackalloc byte*[inputCount];
        var paddedOutputs = stackalloc byte*[MaxRowsPerPass];
        for (var j = 0; j < inputCount; j++)
        {
            paddedInputs[j] = padded + (j * step);
            new Span<byte>(inputs[j] + offset, tail).CopyTo(new Span<byte>(paddedInputs[j], step));
            new Span<byte>(paddedInputs[j] + tail, step - tail).Clear();
        }

        for (var r = 0; r < MaxRowsPerPass; r++)
        {
            paddedOutputs[r] = padded + ((inputCount + r) * step);
        }

        for (var r = 0; r < rowCount; r += MaxRowsPerPass)
        {
            var rows = Math.Min(MaxRowsPerPass, rowCount - r);
            Pass<TKernel>(matrix, firstRow + r, rows, paddedInputs, paddedOutputs, 0, step);
            for (var i = 0; i < rows; i++)
            {
                new Span<byte>(paddedOutputs[i], tail).CopyTo(new Span<byte>(outputs[r + i] + offset, tail));
            }
        }
    }
}
