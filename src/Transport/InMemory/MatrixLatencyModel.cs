namespace Overlay.Transport.InMemory;

/// <summary>
/// One-way delays from a round-trip-time matrix (milliseconds, <c>rtt[i][j]</c> between node
/// i and node j; nodes beyond the matrix wrap around it), other properties from a template.
/// </summary>
public sealed class MatrixLatencyModel : ILatencyModel
{
    private readonly double[][] _rttMilliseconds;
    private readonly LinkProfile _template;

    /// <summary>Creates the model; the matrix must be square and non-empty.</summary>
    public MatrixLatencyModel(double[][] rttMilliseconds, LinkProfile template = default)
    {
        ArgumentNullException.ThrowIfNull(rttMilliseconds);
        if (rttMilliseconds.Length == 0)
        {
            throw new ArgumentException("The RTT matrix is empty.", nameof(rttMilliseconds));
        }

        foreach (var row in rttMilliseconds)
        {
            if (row is null || row.Length != rttMilliseconds.Length)
            {
                throw new ArgumentException("The RTT matrix is not square.", nameof(rttMilliseconds));
            }
        }

        _rttMilliseconds = rttMilliseconds;
        _template = template;
    }

    /// <inheritdoc/>
    public LinkProfile GetLink(int from, int to)
    {
        var n = _rttMilliseconds.Length;
        var rtt = _rttMilliseconds[from % n][to % n];
        return _template with { Latency = TimeSpan.FromMilliseconds(rtt / 2) };
    }
}
