namespace Overlay.Transport.Mux;

/// <summary>
/// A connection's keep-alive: it notices a dead peer while something waits on it, and costs nothing
/// while the connection is idle (docs/TRANSPORT.md, "Idle connections and keep-alive"). The connection
/// is watched while something is in flight (a request or stream awaiting the peer, a request being
/// served, bytes queued to leave), while a request of this end has not been followed by a byte from
/// the peer (one that timed out: the connection is then closed too, so the pool dials afresh), and while
/// a caller holds a <see cref="Keep"/> lease. A watched connection sends a Ping after an interval of
/// silence and fails with <see cref="TransportError.Timeout"/> after three. Silence counts from the
/// peer's last byte or from when this end began waiting on it, whichever is later, so a request on a
/// connection idle for minutes gets the same three intervals as one on a busy connection. A tick that
/// finds the connection idle stops the timer; the next start of work restarts it.
/// </summary>
internal sealed class KeepAliveWatch : IDisposable
{
    private readonly MuxConnection _connection;
    private readonly FrameReceiver _receiver;
    private readonly BatchingWriter _writer;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private long _awaitingSince = long.MinValue;
    private int _leases;
    private int _parked;
    private bool _disposed;

    public KeepAliveWatch(MuxConnection connection, FrameReceiver receiver, BatchingWriter writer, TimeSpan interval, TimeProvider time)
    {
        _connection = connection;
        _receiver = receiver;
        _writer = writer;
        _interval = interval;
        _time = time;
        _timer = time.CreateTimer(static s => ((KeepAliveWatch)s!).OnTick(), this, interval, interval);
    }

    /// <summary>This end now waits on the peer (a request sent, a stream opened): watched until the peer sends anything.</summary>
    public void AwaitPeer()
    {
        var since = Interlocked.Read(ref _awaitingSince);
        if (since < _receiver.LastReceiveTimestamp)
        {
            Interlocked.CompareExchange(ref _awaitingSince, _time.GetTimestamp(), since);
        }

        Wake();
    }

    /// <summary>Watched, idle or not, until the lease is disposed; silence counts from now at the earliest.</summary>
    public IDisposable Keep()
    {
        Interlocked.Increment(ref _leases);
        AwaitPeer();
        return new Lease(this);
    }

    /// <summary>True while a <see cref="Keep"/> lease is held.</summary>
    public bool HasLeases => Volatile.Read(ref _leases) > 0;

    /// <summary>Work started: restarts the timer if an idle tick stopped it.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _parked) == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_parked == 0 || _disposed)
            {
                return;
            }

            _parked = 0;
            _timer.Change(_interval, _interval);
        }
    }

    public void Dispose()
    {
        // Under the gate: a wake re-arms the timer before it goes, never after.
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private bool IsWatched(out long silentSince)
    {
        var lastReceive = _receiver.LastReceiveTimestamp;
        var awaiting = Interlocked.Read(ref _awaitingSince);
        var owed = awaiting >= lastReceive;
        silentSince = owed ? awaiting : lastReceive;
        return owed || _connection.ActiveOperations > 0 || Volatile.Read(ref _leases) > 0 || _writer.QueuedBytes > 0;
    }

    private void OnTick()
    {
        if (_connection.IsClosing)
        {
            return;
        }

        if (!IsWatched(out var silentSince))
        {
            Park();
            return;
        }

        var silence = _time.GetElapsedTime(silentSince);
        if (silence >= _interval * 3)
        {
            // Three intervals without a byte, pings included: the peer or the path is gone.
            _connection.Fail(TransportError.Timeout, graceful: false);
        }
        else if (silence >= _interval)
        {
            // Timed when a round-trip sample is due, so keep-alives refresh the sampler too.
            _connection.SendPing(_connection.BulkWindows.KeepAlivePingId());
        }
    }

    // The flag is set before the re-check and read after every start of work (both full fences), so
    // either the tick sees the work and keeps the timer, or the work sees the flag and restarts it.
    private void Park()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _parked, 1);
            if (_disposed || IsWatched(out _))
            {
                _parked = 0;
                return;
            }

            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private sealed class Lease(KeepAliveWatch watch) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref watch._leases);
            }
        }
    }
}
