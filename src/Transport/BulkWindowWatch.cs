using System.Diagnostics.Metrics;
namespace Overlay.Transport;

/// <summary>
/// Counts the growths of bulk stream receive windows in this process, every connection's
/// (<see cref="TransportMetrics.BulkWindowName"/>), and keeps the largest window reached: how the
/// simulator and the benchmarks report what auto-tuning did.
/// </summary>
public sealed class BulkWindowWatch : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _growths;
    private long _largest;

    /// <summary>Starts listening.</summary>
    public BulkWindowWatch()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TransportMetrics.MeterName && instrument.Name == TransportMetrics.BulkWindowName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Increment(ref _growths);
            long known;
            while (value > (known = Interlocked.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, value, known) != known)
            {
            }
        });
        _listener.Start();
    }

    /// <summary>Growths seen.</summary>
    public long Growths => Interlocked.Read(ref _growths);

    /// <summary>The largest window reached, in bytes.</summary>
    public long Largest => Interlocked.Read(ref _largest);

    /// <inheritdoc/>
    public void Dispose() => _listener.Dispose();
}
