namespace Overlay.Erasure.Galois;

/// <summary>
/// Arithmetic in GF(2^8) built on the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) with generator 2:
/// the field of ISA-L, Backblaze, Jerasure and klauspost/reedsolomon, so matrices built the same way
/// give byte-identical parity.
/// </summary>
internal static unsafe class GaloisField
{
    /// <summary>The reduction polynomial, bit 8 included.</summary>
    public const int Polynomial = 0x11D;

    // Exp is doubled so Exp[Log[a] + Log[b]] needs no reduction modulo 255.
    private static readonly byte[] Exp = new byte[510];
    private static readonly byte[] Log = new byte[256];

    // The full product table, 64 KiB, row a at a * 256. Pinned so the scalar kernel can index it
    // through a pointer without fixing it on every call.
    private static readonly byte[] Products = GC.AllocateArray<byte>(256 * 256, pinned: true);

#pragma warning disable CA1810 // The tables depend on each other; one static constructor builds them in order.
    static GaloisField()
#pragma warning restore CA1810
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            Exp[i] = (byte)x;
            Exp[i + 255] = (byte)x;
            Log[x] = (byte)i;
            x <<= 1;
            if (x >= 256)
            {
                x ^= Polynomial;
            }
        }

        for (var a = 1; a < 256; a++)
        {
            for (var b = 1; b < 256; b++)
            {
                Products[(a << 8) | b] = Exp[Log[a] + Log[b]];
            }
        }
    }

    /// <summary>The 256 products <c>c·x</c> for x = 0..255, as a pinned row of the product table.</summary>
    public static byte* ProductRow(byte c)
    {
        fixed (byte* table = Products)
        {
            // The array is on the pinned object heap, so the pointer stays valid after the fixed block.
            return table + (c << 8);
        }
    }

    public static byte Multiply(byte a, byte b) => Products[(a << 8) | b];

    /// <summary>The multiplicative inverse of a non-zero element.</summary>
    /// <exception cref="DivideByZeroException"><paramref name="a"/> is zero.</exception>
    public static byte Inverse(byte a) => a == 0 ? throw new DivideByZeroException("zero has no inverse in GF(2^8)") : Exp[255 - Log[a]];

    /// <summary>a / b for non-zero b.</summary>
    public static byte Divide(byte a, byte b) => a == 0 ? (byte)0 : Multiply(a, Inverse(b));
}
