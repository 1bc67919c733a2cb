using Overlay.Erasure.Galois;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// The portable kernel and the reference the vector kernels are tested against: one product-table
/// lookup per byte per coefficient.
/// </summary>
internal readonly unsafe struct ScalarKernel : IGfKernelBody
{
    public static int StepSize => 1;

    public static void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount
    {
        for (var r = 0; r < TRows.Value; r++)
        {
            var output = outputs[r];
            var row = coefficients + (r * rowStride);
            var products = GaloisField.ProductRow(row[0]);
            var input = inputs[0];
            for (var x = start; x < end; x++)
            {
                output[x] = products[input[x]];
            }

            for (var j = 1; j < inputCount; j++)
            {
                products = GaloisField.ProductRow(row[j]);
                input = inputs[j];
                for (var x = start; x < end; x++)
                {
                    output[x] ^= products[input[x]];
                }
            }
        }
    }
}
