namespace Overlay.Transport.Mux;

/// <summary>
/// The round-trip time of one <see cref="MuxConnection"/>, measured with its own Ping and Pong frames
/// (both sent urgently, so neither waits for a batch window or behind bulk frames in the sender's
/// queues). Only the minimum is kept: it approximates the path's propagation delay, which is what a
/// bulk stream's window must cover, while later samples include queueing behind the very bytes the
/// window lets in. Request round trips are not used: they include the batch windows of both sides.
/// A connection that tunes bulk windows sends <see cref="InitialSamples"/> timed pings at once when its
/// first bulk stream starts (before the stream's bytes queue ahead of them); after them one timed ping
/// is outstanding at a time, at most one per <see cref="RefreshInterval"/> unless a fresh sample is
/// asked for. Keep-alive pings are timed when a sample is due.
/// </summary>
internal sealed class RoundTripSampler
{
    /// <summary>Samples taken back to back before the refresh interval applies.</summary>
    public const int InitialSamples = 4;

    /// <summary>The least time between two timed pings once the initial samples are in.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>A ping not answered within this is given up (a later one may be timed instead).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly (uint Id, long SentAt)[] _pending = new (uint, long)[InitialSamples];
    private int _pendingCount;
    private uint _lastId;
    private long _sentAt;
    private int _samples;
    private long _minTicks = long.MaxValue;
    private long _latestTicks;
    private long _latestSentAt = long.MinValue;

    public RoundTripSampler(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>The smallest round trip measured; <see cref="TimeSpan.Zero"/> while there is none.</summary>
    public TimeSpan MinRtt
    {
        get
        {
            lock (_lock)
            {
                return _samples == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_minTicks);
            }
        }
    }

    /// <summary>Round trips measured so far.</summary>
    public int Samples
    {
        get
        {
            lock (_lock)
            {
                return _samples;
            }
        }
    }

    /// <summary>
    /// The latest sample and when its ping was sent (a <see cref="TimeProvider"/> timestamp); zero and
    /// <see cref="long.MinValue"/> while there is none.
    /// </summary>
    public (TimeSpan Rtt, long SentAt) Latest
    {
        get
        {
            lock (_lock)
            {
                return (TimeSpan.FromTicks(_latestTicks), _latestSentAt);
            }
        }
    }

    /// <summary>
    /// Whether a Ping should be sent now, and its id: a timed one (non-zero id) when a sample is due and
    /// none is outstanding (a sample is also due when the latest was sent before <paramref name="wantedAfter"/>,
    /// a timestamp); with <paramref name="keepAlive"/> a ping is always sent, untimed (id 0) when no sample is due.
    /// </summary>
    public bool TryStart(bool keepAlive, out uint id, long wantedAfter = long.MinValue)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            GiveUpStale(now);

            // The first samples go out together; after them one ping at a time.
            var due = _samples + _pendingCount < InitialSamples
                || (_pendingCount == 0 && (_time.GetElapsedTime(_sentAt, now) >= RefreshInterval || _sentAt < wantedAfter));
            if (due)
            {
                _lastId = _lastId == uint.MaxValue ? 1 : _lastId + 1;
                _pending[_pendingCount++] = (_lastId, now);
                _sentAt = now;
                id = _lastId;
                return true;
            }

            id = 0;
            return keepAlive;
        }
    }

    /// <summary>A Pong with <paramref name="id"/> arrived; true when it answers the outstanding timed ping (a sample).</summary>
    public bool OnPong(uint id)
    {
        lock (_lock)
        {
            var at = -1;
            for (var i = 0; i < _pendingCount && id != 0; i++)
            {
                if (_pending[i].Id == id)
                {
                    at = i;
                }
            }

            if (at < 0)
            {
                // An untimed keep-alive's answer, or one given up on.
                return false;
            }

            var sentAt = _pending[at].SentAt;
            _pending[at] = _pending[--_pendingCount];
            var sample = Math.Max(_time.GetElapsedTime(sentAt).Ticks, 1);
            _minTicks = Math.Min(_minTicks, sample);
            _latestTicks = sample;
            _latestSentAt = sentAt;
            _samples++;
            return true;
        }
    }

    private void GiveUpStale(long now)
    {
        for (var i = _pendingCount - 1; i >= 0; i--)
        {
            if (_time.GetElapsedTime(_pending[i].SentAt, now) >= GiveUpAfter)
            {
                _pending[i] = _pending[--_pendingCount];
            }
        }
    }
}
