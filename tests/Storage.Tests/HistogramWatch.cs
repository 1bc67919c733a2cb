using System.Diagnostics.Metrics;

namespace Overlay.Storage.Tests;

/// <summary>Counts, sums and keeps the largest value recorded by one histogram of one meter.</summary>
internal sealed class HistogramWatch : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private long _count, _sum, _max;

    public HistogramWatch(Meter meter, string name)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            lock (_gate)
            {
                _count++;
                _sum += value;
                _max = Math.Max(_max, value);
            }
        });
        _listener.Start();
    }

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public long Sum
    {
        get
        {
            lock (_gate)
            {
                return _sum;
            }
        }
    }

    public long Max
    {
        get
        {
            lock (_gate)
            {
                return _max;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
