using Microsoft.Extensions.Logging;

namespace Overlay.Transport.Admission;

/// <summary>
/// Gives back the memory a flood of unauthenticated connections made the process take. The budgets
/// bound what a flood holds, but the runtime keeps the heap it grew to, and an idle node allocates too
/// little to collect again: without this, the resident size stays at the flood's peak for good. Once a
/// listener has held at least <see cref="FloodMark"/> pending connections and then none for
/// <see cref="QuietPeriod"/>, one compacting collection returns the free heap to the system; at most
/// once per <see cref="MinimumInterval"/>, since peers decide how often floods happen.
/// </summary>
internal sealed partial class FloodRelief : IDisposable
{
    /// <summary>How long no connection may be pending before the memory is given back.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(10);

    /// <summary>Shortest time between two reliefs.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<int> _pending;
    private readonly Action _relieve;
    private readonly object _lock = new();
    private readonly ITimer _timer;
    private bool _armed;
    private int _peak;
    private long _lastRelief;

    /// <param name="floodMark">Pending connections that count as a flood.</param>
    /// <param name="time">The clock of the quiet period.</param>
    /// <param name="logger">Where a relief is reported.</param>
    /// <param name="pending">Reads the listener's pending connections now.</param>
    /// <param name="relieve">Gives memory back; the default collects and compacts the whole heap.</param>
    public FloodRelief(int floodMark, TimeProvider time, ILogger logger, Func<int> pending, Action? relieve = null)
    {
        FloodMark = floodMark;
        _time = time;
        _logger = logger;
        _pending = pending;
        _relieve = relieve ?? CompactHeap;
        _lastRelief = time.GetTimestamp() - (long)(MinimumInterval.TotalSeconds * time.TimestampFrequency);
        _timer = time.CreateTimer(static s => ((FloodRelief)s!).OnQuiet(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Pending connections that count as a flood.</summary>
    public int FloodMark { get; }

    /// <summary>Reliefs so far.</summary>
    public int Reliefs { get; private set; }

    /// <summary>Tells how many connections are pending after an admission; arms the relief once they reach the mark.</summary>
    public void Admitted(int pending)
    {
        if (pending < FloodMark)
        {
            return;
        }

        lock (_lock)
        {
            _armed = true;
            _peak = Math.Max(_peak, pending);
        }
    }

    /// <summary>Tells that a pending connection left; once none is pending after a flood, the quiet period starts.</summary>
    public void Left(int pending)
    {
        if (pending != 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_armed)
            {
                _timer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private void OnQuiet()
    {
        int peak;
        lock (_lock)
        {
            if (!_armed || _pending() != 0)
            {
                // Busy again: the next connection to leave starts another quiet period.
                return;
            }

            if (_time.GetElapsedTime(_lastRelief) < MinimumInterval)
            {
                _timer.Change(MinimumInterval - _time.GetElapsedTime(_lastRelief), Timeout.InfiniteTimeSpan);
                return;
            }

            peak = _peak;
            _armed = false;
            _peak = 0;
            _lastRelief = _time.GetTimestamp();
            Reliefs++;
        }

        var before = Environment.WorkingSet;
        _relieve();
        Log.FloodRelieved(_logger, peak, before / 1048576.0, Environment.WorkingSet / 1048576.0);
    }

    private static void CompactHeap()
    {
        // The flood's sockets are finalizable: collect them and run their finalizers first, then compact
        // aggressively, the one mode that decommits every free region at once.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        // Sockets and TLS state live partly in the C heap, which glibc keeps unless asked to trim it.
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = malloc_trim(0);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // Not glibc (musl has no malloc_trim): the managed heap was returned all the same.
            }
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc.so.6")]
    private static partial int malloc_trim(nuint pad);
}
