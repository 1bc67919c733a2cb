using Overlay.Dht.Coordinates;

namespace Overlay.Dht.Tests;

public class LatencyMatrixTests
{
    [Fact]
    public void TryParse_PlanetLab_Is490SymmetricWithZeroDiagonal()
    {
        var m = SharedLatency.PlanetLab;
        Assert.Equal(490, m.Count);
        Assert.True(m.IsSymmetric());
        Assert.Equal(0, m[17, 17]);
        Assert.Equal(0.175, m[0, 1], 3);
        Assert.Equal(121.42, m[0, 3], 2);
    }

    [Fact]
    public void TryParse_SecondsWithCrLf_ScalesToMilliseconds()
    {
        Assert.True(LatencyMatrix.TryParse("0\t0.25\r\n0.5\t0\r\n", 1000, out var m, out _));
        Assert.Equal(250, m!.Count == 2 ? m[0, 1] : -1, 3);
        Assert.Equal(500, m[1, 0], 3);
        Assert.False(m.IsSymmetric());
    }

    [Theory]
    [InlineData("", LatencyMatrixErrorKind.Empty, 0, 0)]
    [InlineData("0\t1\n1\t0\n1\t1\n", LatencyMatrixErrorKind.NotSquare, 3, 0)]
    [InlineData("0\t1\n", LatencyMatrixErrorKind.NotSquare, 1, 0)]
    [InlineData("0\t1\n1\n", LatencyMatrixErrorKind.RaggedRow, 2, 1)]
    [InlineData("0\t1\n1\t0\t4\n", LatencyMatrixErrorKind.RaggedRow, 2, 3)]
    [InlineData("0\tx\n1\t0\n", LatencyMatrixErrorKind.InvalidNumber, 1, 2)]
    [InlineData("0\t1e3\n1\t0\n", LatencyMatrixErrorKind.InvalidNumber, 1, 2)]
    [InlineData("0\t\n1\t0\n", LatencyMatrixErrorKind.InvalidNumber, 1, 2)]
    [InlineData("0\t1\n-1\t0\n", LatencyMatrixErrorKind.NegativeValue, 2, 1)]
    [InlineData("0\t1\t2\n", LatencyMatrixErrorKind.TooManyHosts, 1, 3)]
    public void TryParse_Malformed_GivesTypedErrorWithPosition(string text, LatencyMatrixErrorKind kind, int line, int column)
    {
        Assert.False(LatencyMatrix.TryParse(text, 1, out var m, out var error, maxHosts: 2));
        Assert.Null(m);
        Assert.Equal(new LatencyMatrixError(kind, line, column), error);
    }

    [Fact]
    public void TryParse_RandomAndMutatedText_NeverThrows()
    {
        var random = new Random(21);
        const string valid = "0\t1.5\t2\n1.5\t0\t3.25\n2\t3.25\t0\n";
        const string alphabet = "0123456789.\t\n\r-+eE x";
        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            char[] chars;
            if (i % 2 == 0)
            {
                chars = valid.ToCharArray();
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }
            else
            {
                chars = new char[random.Next(0, 40)];
                for (var c = 0; c < chars.Length; c++)
                {
                    chars[c] = alphabet[random.Next(alphabet.Length)];
                }
            }

            var ok = LatencyMatrix.TryParse(chars, 1, out var m, out var error, maxHosts: 16);
            Assert.Equal(ok, m is not null);
            Assert.Equal(ok, error.Kind == LatencyMatrixErrorKind.None);
            accepted += ok ? 1 : 0;
        }

        Assert.InRange(accepted, 1, 4999);
    }
}
