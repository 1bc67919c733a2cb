using System.Globalization;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// A square matrix of round-trip times in milliseconds between hosts 0..Count-1, as measured on a real
/// network. The in-memory network and the simulation use it to set link latencies; coordinate tests use
/// it as ground truth. Parsing takes text already read by the caller (this assembly does no I/O).
/// </summary>
public sealed class LatencyMatrix
{
    /// <summary>Default largest accepted host count (a 20,000² matrix is 1.6 GB of floats).</summary>
    public const int DefaultMaxHosts = 10_000;

    private readonly float[] _ms;

    private LatencyMatrix(int count, float[] ms)
    {
        Count = count;
        _ms = ms;
    }

    /// <summary>Number of hosts.</summary>
    public int Count { get; }

    /// <summary>RTT from <paramref name="from"/> to <paramref name="to"/> in milliseconds (0 on the diagonal in measured data).</summary>
    public double this[int from, int to] => _ms[(from * Count) + to];

    /// <summary>True when every entry equals its transpose.</summary>
    public bool IsSymmetric()
    {
        for (var i = 0; i < Count; i++)
        {
            for (var j = i + 1; j < Count; j++)
            {
                if (_ms[(i * Count) + j] != _ms[(j * Count) + i])
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Parses rows of TAB-separated plain decimals, one row per LF-terminated line (a CR before the LF and
    /// one final empty line are accepted). Never throws on malformed text.
    /// </summary>
    /// <param name="text">The whole file.</param>
    /// <param name="unitToMilliseconds">Factor from the file's unit to ms (1 for ms, 1000 for seconds).</param>
    /// <param name="matrix">The matrix when parsing succeeded.</param>
    /// <param name="error">Why and where parsing failed.</param>
    /// <param name="maxHosts">Largest accepted host count, checked before the matrix is allocated.</param>
    public static bool TryParse(ReadOnlySpan<char> text, double unitToMilliseconds, out LatencyMatrix? matrix, out LatencyMatrixError error, int maxHosts = DefaultMaxHosts)
    {
        matrix = null;
        var n = -1;
        float[]? cells = null;
        var row = 0;
        var line = 0;
        while (!text.IsEmpty)
        {
            line++;
            var end = text.IndexOf('\n');
            var current = end >= 0 ? text[..end] : text;
            text = end >= 0 ? text[(end + 1)..] : [];
            if (current.EndsWith('\r'))
            {
                current = current[..^1];
            }

            if (current.IsEmpty && text.IsEmpty)
            {
                break;
            }

            if (n < 0)
            {
                n = current.Count('\t') + 1;
                if (n > maxHosts)
                {
                    error = new LatencyMatrixError(LatencyMatrixErrorKind.TooManyHosts, line, maxHosts + 1);
                    return false;
                }

                cells = new float[n * n];
            }

            if (row >= n)
            {
                error = new LatencyMatrixError(LatencyMatrixErrorKind.NotSquare, line, 0);
                return false;
            }

            var column = 0;
            foreach (var range in current.Split('\t'))
            {
                var cell = current[range];
                column++;
                if (column > n)
                {
                    error = new LatencyMatrixError(LatencyMatrixErrorKind.RaggedRow, line, column);
                    return false;
                }

                if (!double.TryParse(cell, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    error = new LatencyMatrixError(LatencyMatrixErrorKind.InvalidNumber, line, column);
                    return false;
                }

                if (value < 0)
                {
                    error = new LatencyMatrixError(LatencyMatrixErrorKind.NegativeValue, line, column);
                    return false;
                }

                cells![(row * n) + column - 1] = (float)(value * unitToMilliseconds);
            }

            if (column != n)
            {
                error = new LatencyMatrixError(LatencyMatrixErrorKind.RaggedRow, line, column);
                return false;
            }

            row++;
        }

        if (n < 0)
        {
            error = new LatencyMatrixError(LatencyMatrixErrorKind.Empty, 0, 0);
            return false;
        }

        if (row != n)
        {
            error = new LatencyMatrixError(LatencyMatrixErrorKind.NotSquare, line, 0);
            return false;
        }

        matrix = new LatencyMatrix(n, cells!);
        error = default;
        return true;
    }
}
