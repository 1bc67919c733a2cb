using System.Globalization;

namespace Overlay.Cluster;

/// <summary>Outcomes and latencies of one kind of control-API operation (put, get).</summary>
public sealed class OperationFigures
{
    private readonly List<double> _latenciesMs = [];
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

    public int Attempted { get; private set; }

    public int Succeeded { get; private set; }

    /// <summary>Succeeded / attempted, 1 when nothing was attempted.</summary>
    public double SuccessRate => Attempted == 0 ? 1 : (double)Succeeded / Attempted;

    /// <summary>Failures by their one-sentence reason.</summary>
    public IReadOnlyDictionary<string, int> Failures => _failures;

    /// <summary>Latency percentile in milliseconds over every attempt, successful or not (NaN when none).</summary>
    public double PercentileMs(double p) => Percentiles.Of(_latenciesMs, p);

    public void Add(double latencyMs, string? failure)
    {
        Attempted++;
        _latenciesMs.Add(latencyMs);
        if (failure is null)
        {
            Succeeded++;
        }
        else
        {
            _failures[failure] = _failures.GetValueOrDefault(failure) + 1;
        }
    }

    /// <summary>"n/m ok (x %), p50 a ms, p99 b ms" and the commonest failure.</summary>
    public string Describe(string verb)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{Succeeded}/{Attempted} {verb} ({100 * SuccessRate:0.0} %), p50 {PercentileMs(50):0.0} ms, p99 {PercentileMs(99):0.0} ms");
        var worst = _failures.OrderByDescending(f => f.Value).FirstOrDefault();
        return worst.Key is null ? text : string.Create(CultureInfo.InvariantCulture, $"{text}; commonest failure ({worst.Value}x): {worst.Key}");
    }
}
