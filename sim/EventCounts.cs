using System.Diagnostics.Metrics;
using System.Text;
using Overlay.Dht.Wire;
using Overlay.Transport;

namespace Overlay.Sim;

/// <summary>
/// Totals of the DHT's and the transport's counters over the whole simulated network, by instrument and
/// first tag, so a run can say which events grow with the network's size.
/// </summary>
internal sealed class EventCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly SortedDictionary<string, long> _totals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _reported = new(StringComparer.Ordinal);

    public EventCounts()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is DhtMetrics.MeterName or TransportMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Counts since the last call, per <paramref name="per"/> units (joined nodes, lookups), one line.</summary>
    public string Since(int per)
    {
        var text = new StringBuilder();
        foreach (var (name, total) in _totals)
        {
            var delta = total - _reported.GetValueOrDefault(name);
            _reported[name] = total;
            if (delta != 0)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $" {name} {delta / (double)per:F1};");
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var name = instrument.Name.Replace("overlay.", string.Empty, StringComparison.Ordinal);
        if (tags.Length > 0)
        {
            name += "[" + tags[0].Value + "]";
        }

        // The simulation runs on one thread; the dictionary needs no lock.
        _totals[name] = _totals.GetValueOrDefault(name) + value;
    }
}
