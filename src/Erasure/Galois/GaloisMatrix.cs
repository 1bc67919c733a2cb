namespace Overlay.Erasure.Galois;

/// <summary>
/// Row-major matrices over GF(2^8): the code's Cauchy parity rows and the inversions decoding needs.
/// Built once per code or once per erasure pattern, never per stripe, so clarity wins over speed here.
/// </summary>
internal static class GaloisMatrix
{
    /// <summary>
    /// The parity rows of the systematic generator [I; C]: C[i][j] = 1 / (x_i + y_j) with
    /// x_i = k + i and y_j = j. The x's and y's are k + m distinct field elements, so C is a Cauchy
    /// matrix; every square submatrix of a Cauchy matrix is invertible, which makes every k rows of
    /// [I; C] invertible: any k shards decode.
    /// </summary>
    public static byte[] CauchyParityRows(int dataShards, int parityShards)
    {
        var rows = new byte[parityShards * dataShards];
        for (var i = 0; i < parityShards; i++)
        {
            for (var j = 0; j < dataShards; j++)
            {
                rows[(i * dataShards) + j] = GaloisField.Inverse((byte)((dataShards + i) ^ j));
            }
        }

        return rows;
    }

    /// <summary>
    /// The generator row of shard <paramref name="shard"/>: a unit row for a data shard, a Cauchy row
    /// for a parity shard.
    /// </summary>
    public static void GeneratorRow(ReadOnlySpan<byte> parityRows, int dataShards, int shard, Span<byte> row)
    {
        if (shard < dataShards)
        {
            row.Clear();
            row[shard] = 1;
        }
        else
        {
            parityRows.Slice((shard - dataShards) * dataShards, dataShards).CopyTo(row);
        }
    }

    /// <summary>
    /// Inverts the n×n <paramref name="matrix"/> in place into <paramref name="inverse"/> by
    /// Gauss–Jordan elimination. Returns false when it is singular (never for k rows of [I; C]).
    /// </summary>
    public static bool TryInvert(Span<byte> matrix, int n, Span<byte> inverse)
    {
        inverse.Clear();
        for (var i = 0; i < n; i++)
        {
            inverse[(i * n) + i] = 1;
        }

        for (var column = 0; column < n; column++)
        {
            var pivot = column;
            while (pivot < n && matrix[(pivot * n) + column] == 0)
            {
                pivot++;
            }

            if (pivot == n)
            {
                return false;
            }

            if (pivot != column)
            {
                SwapRows(matrix, n, pivot, column);
                SwapRows(inverse, n, pivot, column);
            }

            var scale = GaloisField.Inverse(matrix[(column * n) + column]);
            ScaleRow(matrix.Slice(column * n, n), scale);
            ScaleRow(inverse.Slice(column * n, n), scale);

            for (var row = 0; row < n; row++)
            {
                var factor = matrix[(row * n) + column];
                if (row == column || factor == 0)
                {
                    continue;
                }

                AddScaledRow(matrix.Slice(row * n, n), matrix.Slice(column * n, n), factor);
                AddScaledRow(inverse.Slice(row * n, n), inverse.Slice(column * n, n), factor);
            }
        }

        return true;
    }

    /// <summary>result = row × matrix, for a 1×n row and an n×c matrix.</summary>
    public static void MultiplyRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> matrix, int columns, Span<byte> result)
    {
        result.Clear();
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] != 0)
            {
                AddScaledRow(result, matrix.Slice(i * columns, columns), row[i]);
            }
        }
    }

    private static void SwapRows(Span<byte> matrix, int n, int a, int b)
    {
        var rowA = matrix.Slice(a * n, n);
        var rowB = matrix.Slice(b * n, n);
        for (var i = 0; i < n; i++)
        {
            (rowA[i], rowB[i]) = (rowB[i], rowA[i]);
        }
    }

    private static void ScaleRow(Span<byte> row, byte factor)
    {
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = GaloisField.Multiply(row[i], factor);
        }
    }

    // target += factor · source (addition in GF(2^8) is XOR).
    private static void AddScaledRow(Span<byte> target, ReadOnlySpan<byte> source, byte factor)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] ^= GaloisField.Multiply(source[i], factor);
        }
    }
}
