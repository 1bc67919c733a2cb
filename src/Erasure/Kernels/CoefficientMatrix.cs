using Overlay.Erasure.Galois;

namespace Overlay.Erasure.Kernels;

/// <summary>
/// A rows×columns matrix over GF(2^8) laid out for one kernel: output row r of a multiplication is
/// the sum over j of element (r, j) times input j. Each element is stored in the form its kernel
/// consumes (a byte for the scalar kernel, two 16-entry nibble tables for the shuffle kernels, an
/// 8×8 bit matrix for GFNI), row-major and pinned, so kernels read it through a pointer.
/// </summary>
internal sealed unsafe class CoefficientMatrix
{
    private readonly byte[] _expanded;

    public CoefficientMatrix(GfKernel kernel, ReadOnlySpan<byte> elements, int rows, int columns)
    {
        if (elements.Length != rows * columns)
        {
            throw new ArgumentException($"{rows}×{columns} matrix given {elements.Length} elements", nameof(elements));
        }

        Kernel = kernel;
        Rows = rows;
        Columns = columns;
        ElementSize = ElementSizeOf(kernel);
        _expanded = GC.AllocateArray<byte>(Math.Max(1, elements.Length * ElementSize), pinned: true);
        for (var i = 0; i < elements.Length; i++)
        {
            Expand(kernel, elements[i], _expanded.AsSpan(i * ElementSize, ElementSize));
        }
    }

    public GfKernel Kernel { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Bytes each element takes in the kernel's form.</summary>
    public int ElementSize { get; }

    /// <summary>Bytes from one row to the next.</summary>
    public nint RowStride => (nint)Columns * ElementSize;

    /// <summary>Bytes held, for the decode cache's budget.</summary>
    public int SizeInBytes => _expanded.Length;

    /// <summary>The first element of <paramref name="row"/>; the array is pinned, so the pointer stays valid.</summary>
    public byte* Row(int row)
    {
        fixed (byte* first = _expanded)
        {
            return first + (row * RowStride);
        }
    }

    public static int ElementSizeOf(GfKernel kernel) => kernel switch
    {
        GfKernel.Scalar => 1,
        GfKernel.Vector256Gfni or GfKernel.Vector512Gfni => sizeof(ulong),
        _ => 32,
    };

    private static void Expand(GfKernel kernel, byte c, Span<byte> target)
    {
        switch (kernel)
        {
            case GfKernel.Scalar:
                target[0] = c;
                break;
            case GfKernel.Vector256Gfni or GfKernel.Vector512Gfni:
                BitConverter.TryWriteBytes(target, AffineMatrix(c));
                break;
            default:
                // Split tables: c·x = c·(x & 15) + c·(x & 240), so two 16-entry lookups replace one of 256.
                for (var n = 0; n < 16; n++)
                {
                    target[n] = GaloisField.Multiply(c, (byte)n);
                    target[16 + n] = GaloisField.Multiply(c, (byte)(n << 4));
                }

                break;
        }
    }

    /// <summary>
    /// Multiplication by <paramref name="c"/> as the 8×8 bit matrix <c>vgf2p8affineqb</c> takes: bit i
    /// of a product is the parity of (row i AND x), and row i sits in byte 7 − i of the quadword. Row i
    /// has bit j set when bit i of c·2^j is set (multiplication by c is linear over GF(2)), so this works
    /// for any reduction polynomial, not only the 0x11B that GFNI's own multiply instruction fixes.
    /// </summary>
    internal static ulong AffineMatrix(byte c)
    {
        ulong matrix = 0;
        for (var i = 0; i < 8; i++)
        {
            ulong row = 0;
            for (var j = 0; j < 8; j++)
            {
                if ((GaloisField.Multiply(c, (byte)(1 << j)) & (1 << i)) != 0)
                {
                    row |= 1UL << j;
                }
            }

            matrix |= row << (8 * (7 - i));
        }

        return matrix;
    }
}
