using Overlay.Erasure.Galois;

namespace Overlay.Erasure.Tests;

public sealed class GaloisMatrixTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 4)]
    [InlineData(128, 128)]
    [InlineData(255, 1)]
    [InlineData(1, 255)]
    public void CauchyParityRows_EachElement_IsTheInverseOfItsPointsSum(int k, int m)
    {
        var rows = GaloisMatrix.CauchyParityRows(k, m);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < k; j++)
            {
                Assert.Equal(1, GaloisField.Multiply(rows[(i * k) + j], (byte)((k + i) ^ j)));
            }
        }
    }

    [Fact]
    public void TryInvert_RandomInvertibleMatrices_GiveTheInverse()
    {
        var random = new Random(3);
        var inverted = 0;
        foreach (var n in new[] { 1, 2, 3, 7, 16, 40 })
        {
            for (var trial = 0; trial < 20; trial++)
            {
                var matrix = new byte[n * n];
                random.NextBytes(matrix);
                var work = (byte[])matrix.Clone();
                var inverse = new byte[n * n];
                if (!GaloisMatrix.TryInvert(work, n, inverse))
                {
                    continue;
                }

                inverted++;
                var product = new byte[n];
                for (var r = 0; r < n; r++)
                {
                    GaloisMatrix.MultiplyRow(matrix.AsSpan(r * n, n), inverse, n, product);
                    for (var c = 0; c < n; c++)
                    {
                        Assert.Equal(r == c ? 1 : 0, product[c]);
                    }
                }
            }
        }

        // A random matrix over GF(256) is invertible with probability ≈ 0.996: nearly all trials count.
        Assert.True(inverted > 110, $"only {inverted} of 120 random matrices were invertible");
    }

    [Fact]
    public void TryInvert_MatrixWithARepeatedRow_IsSingular()
    {
        byte[] matrix = [1, 2, 3, 4, 5, 6, 1, 2, 3];
        Assert.False(GaloisMatrix.TryInvert(matrix, 3, new byte[9]));
    }
}
