namespace Overlay.Transport.Mux;

/// <summary>
/// Receiver-side auto-tuning of one bulk stream's receive window, in the manner of TCP's receive
/// buffer auto-tuning and QUIC implementations' stream windows: start from the connection's current
/// bulk window, and double it while the stream is limited by it, up to
/// <see cref="TransportOptions.BulkStreamWindowMaxBytes"/>.
/// <para>
/// The window limits a stream to about one window per round trip; granting at half a window (as
/// <see cref="MuxStream"/> does), the sender never waits for credit only when the window holds two
/// round trips of data. So the tuner measures, over epochs that last at least one round trip and one
/// window of consumed bytes, how much the reader consumed; when that is more than half a window per
/// round trip (rate × RTT &gt; window / 2), the reader waited for data during the epoch (the bytes,
/// not the reader, were the limit) and a round trip measured since the window last changed is within
/// <see cref="MaxQueueingRatio"/> of the smallest (nothing queues on the path yet), the window doubles. A long path then ends at two to four
/// times its bandwidth-delay product; on loopback the rate times the round trip stays far below
/// 64 KiB and the window stays where it started, which keeps bulk bytes from queueing ahead of
/// control frames on TCP. The round trip is the connection's smallest measured one
/// (<see cref="RoundTripSampler"/>): before it has <see cref="RoundTripSampler.InitialSamples"/> samples
/// the window does not grow.
/// </para>
/// Not thread-safe: the owning stream calls it under its lock.
/// </summary>
internal sealed class ReceiveWindowTuner
{
    private readonly int _max;
    private readonly RoundTripSampler _roundTrip;
    private readonly TimeProvider _time;
    /// <summary>
    /// Growth needs a round trip measured since the stream started or last grew that is at most this
    /// many times the smallest: a larger one shows bytes already queueing on the path (or a host too
    /// busy to answer promptly), where a larger window adds delay for control frames and no speed.
    /// </summary>
    public const double MaxQueueingRatio = 1.5;

    private long _epochStart;
    private long _epochBytes;
    private bool _readerWaited;

    /// <param name="window">The window the stream starts with.</param>
    /// <param name="max">The largest window it may grow to.</param>
    /// <param name="roundTrip">The connection's round-trip samples.</param>
    /// <param name="time">The clock.</param>
    public ReceiveWindowTuner(int window, int max, RoundTripSampler roundTrip, TimeProvider time)
    {
        Window = window;
        _max = max;
        _roundTrip = roundTrip;
        _time = time;
        _epochStart = SampleWantedAfter = time.GetTimestamp();
    }

    /// <summary>Growth waits for a round-trip sample whose ping was sent at or after this timestamp (the stream's start or last growth).</summary>
    public long SampleWantedAfter { get; private set; }

    /// <summary>The current receive window in bytes.</summary>
    public int Window { get; private set; }

    /// <summary>The reader found nothing to read and waits for the peer's bytes.</summary>
    public void ReaderWaiting() => _readerWaited = true;

    /// <summary>
    /// The reader consumed <paramref name="bytes"/>. Returns how many bytes the window grew by (0 when
    /// it did not); the caller grants them to the peer at once.
    /// </summary>
    public int OnConsumed(int bytes)
    {
        if (Window >= _max)
        {
            return 0;
        }

        _epochBytes += bytes;
        // One sample taken under load can be many times the path's delay: tune only on the minimum of several.
        var rtt = _roundTrip.Samples >= RoundTripSampler.InitialSamples ? _roundTrip.MinRtt : TimeSpan.Zero;
        if (rtt <= TimeSpan.Zero || _epochBytes < Window)
        {
            return 0;
        }

        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_epochStart, now);
        if (elapsed < rtt)
        {
            return 0;
        }

        var (latest, sentAt) = _roundTrip.Latest;
        if (sentAt < SampleWantedAfter)
        {
            // No round trip measured since the window last changed: the epoch goes on until one is.
            return 0;
        }

        // More than half a window per round trip (epochBytes / elapsed > Window / (2 · rtt)), the
        // reader waited for bytes, and the path shows no queue.
        var limited = _readerWaited
            && (double)_epochBytes * 2 * rtt.Ticks > (double)Window * elapsed.Ticks
            && latest.Ticks <= rtt.Ticks * MaxQueueingRatio;
        _epochStart = now;
        _epochBytes = 0;
        _readerWaited = false;
        if (!limited)
        {
            return 0;
        }

        var grown = (int)Math.Min(_max, (long)Window * 2);
        var delta = grown - Window;
        Window = grown;
        SampleWantedAfter = now;
        return delta;
    }
}
