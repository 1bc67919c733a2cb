using System.Diagnostics.Metrics;

namespace Overlay.Storage.Tests;

/// <summary>Sums one counter of one meter and lets a test await a total without polling.</summary>
internal sealed class CounterWatch : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private readonly List<(long Value, KeyValuePair<string, object?>[] Tags)> _tags = [];
    private long _total;

    public CounterWatch(Meter meter, string name)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (_gate)
            {
                _total += value;
                _tags.Add((value, tags.ToArray()));
                foreach (var (target, done) in _waiters)
                {
                    if (_total >= target)
                    {
                        done.TrySetResult();
                    }
                }
            }
        });
        _listener.Start();
    }

    public long Total
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Measurements that carried the tag (a batch of puts counted at once is one).</summary>
    public long CountWithTag(string key, string value)
    {
        lock (_gate)
        {
            return _tags.Count(t => t.Tags.Any(kv => kv.Key == key && Equals(kv.Value, value)));
        }
    }

    /// <summary>The sum of the measurements that carried the tag.</summary>
    public long SumWithTag(string key, string value)
    {
        lock (_gate)
        {
            return _tags.Where(t => t.Tags.Any(kv => kv.Key == key && Equals(kv.Value, value))).Sum(t => t.Value);
        }
    }

    public Task WaitForTotalAsync(long target)
    {
        lock (_gate)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_total >= target)
            {
                done.SetResult();
            }
            else
            {
                _waiters.Add((target, done));
            }

            return done.Task;
        }
    }

    public void Dispose() => _listener.Dispose();
}
