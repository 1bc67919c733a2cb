using Overlay.Erasure.Galois;
using Overlay.Erasure.Kernels;

namespace Overlay.Erasure.Tests;

public sealed class GaloisFieldTests
{
    // Schoolbook carry-less multiplication reduced by 0x11D, one bit at a time: independent of the tables.
    private static byte ReferenceMultiply(byte a, byte b)
    {
        var product = 0;
        int x = a;
        for (var bit = 0; bit < 8; bit++)
        {
            if ((b & (1 << bit)) != 0)
            {
                product ^= x;
            }

            x <<= 1;
            if ((x & 0x100) != 0)
            {
                x ^= 0x11D;
            }
        }

        return (byte)product;
    }

    [Fact]
    public void Multiply_EveryPair_MatchesCarrylessMultiplicationModuloThePolynomial()
    {
        for (var a = 0; a < 256; a++)
        {
            for (var b = 0; b < 256; b++)
            {
                Assert.Equal(ReferenceMultiply((byte)a, (byte)b), GaloisField.Multiply((byte)a, (byte)b));
            }
        }
    }

    [Fact]
    public void Multiply_TwoTimesTheTopBit_ReducesByX8()
    {
        // x · x^7 = x^8 = x^4 + x^3 + x^2 + 1 under 0x11D.
        Assert.Equal(0x1D, GaloisField.Multiply(2, 0x80));
    }

    [Fact]
    public void Powers_OfTwo_VisitEveryNonZeroElement()
    {
        var seen = new HashSet<byte>();
        byte power = 1;
        for (var i = 0; i < 255; i++)
        {
            Assert.True(seen.Add(power), $"2^{i} repeats an earlier power");
            power = GaloisField.Multiply(power, 2);
        }

        Assert.Equal(1, power);
    }

    [Fact]
    public void Inverse_OfEveryNonZeroElement_MultipliesToOne()
    {
        for (var a = 1; a < 256; a++)
        {
            Assert.Equal(1, GaloisField.Multiply((byte)a, GaloisField.Inverse((byte)a)));
            Assert.Equal((byte)a, GaloisField.Divide(GaloisField.Multiply((byte)a, 77), 77));
        }

        Assert.Throws<DivideByZeroException>(() => GaloisField.Inverse(0));
    }

    [Fact]
    public void ProductRow_IsTheRowOfTheTable()
    {
        for (var c = 0; c < 256; c += 17)
        {
            for (var x = 0; x < 256; x++)
            {
                unsafe
                {
                    Assert.Equal(GaloisField.Multiply((byte)c, (byte)x), GaloisField.ProductRow((byte)c)[x]);
                }
            }
        }
    }

    [Fact]
    public void AffineMatrix_AppliedAsVgf2p8affineqbDefinesIt_MultipliesByTheCoefficient()
    {
        // Intel SDM, GF2P8AFFINEQB: bit i of the result is the parity of (matrix byte 7 − i AND x), XOR imm8 bit i.
        for (var c = 0; c < 256; c++)
        {
            var matrix = CoefficientMatrix.AffineMatrix((byte)c);
            for (var x = 0; x < 256; x++)
            {
                var result = 0;
                for (var i = 0; i < 8; i++)
                {
                    var row = (byte)(matrix >> (8 * (7 - i)));
                    result |= (System.Numerics.BitOperations.PopCount((uint)(row & x)) & 1) << i;
                }

                Assert.Equal(GaloisField.Multiply((byte)c, (byte)x), result);
            }
        }
    }

    [Fact]
    public unsafe void SplitTables_LowNibbleXorHighNibble_MultiplyByTheCoefficient()
    {
        var elements = Enumerable.Range(0, 256).Select(c => (byte)c).ToArray();
        var matrix = new CoefficientMatrix(GfKernel.Vector128Shuffle, elements, 1, 256);
        for (var c = 0; c < 256; c++)
        {
            var tables = matrix.Row(0) + (c * 32);
            for (var x = 0; x < 256; x++)
            {
                Assert.Equal(GaloisField.Multiply((byte)c, (byte)x), tables[x & 15] ^ tables[16 + (x >> 4)]);
            }
        }
    }
}
