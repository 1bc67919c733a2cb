using Overlay.Crypto;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// What the owner knows of each holder's liveness between probes (docs/PROTOCOL.md, "Owner maintenance"): the
/// connection its last answered probe came over, watched for its close, and when that answer came. A holder whose
/// connection is still open needs asking again only once per presence interval, to check it still lists its shards:
/// meanwhile the transport vouches for it (the watched connection is kept under keep-alive, which closes it after three
/// silent intervals, <see cref="ITransportConnection.KeepWatched"/>), and the
/// moment the connection closes, for whatever reason, <paramref name="connectionLost"/> is told, so the owner can probe
/// the holder at once instead of at the next round. A holder with no open connection is due every round.
/// Thread-safe; <paramref name="connectionLost"/> runs on the thread that closed the connection, outside this class's lock.
/// </summary>
public sealed class HolderLiveness(TimeProvider time, TimeSpan presenceInterval, Action<PeerId> connectionLost)
{
    private readonly Dictionary<PeerId, Watch> _holders = [];
    private readonly object _gate = new();

    /// <summary>Holders whose connection is watched now.</summary>
    public int Watched
    {
        get
        {
            lock (_gate)
            {
                return _holders.Count;
            }
        }
    }

    /// <summary>
    /// Whether a probe round must ask <paramref name="holder"/>: it has no open watched connection, or its last answer is
    /// the presence interval old.
    /// </summary>
    public bool IsDue(PeerId holder)
    {
        lock (_gate)
        {
            return !_holders.TryGetValue(holder, out var watch) || watch.Connection.Closed.IsCancellationRequested
                || time.GetElapsedTime(watch.AnsweredAt) >= presenceInterval;
        }
    }

    /// <summary>
    /// <paramref name="holder"/> answered a probe sent at <paramref name="askedAt"/> (a <see cref="TimeProvider"/> timestamp)
    /// over <paramref name="connection"/>: its presence is fresh as of then (so a round one presence interval later asks it
    /// again, however long the answer took), and that connection is the one watched for it from now on (a connection already
    /// closed is not watched: the holder stays due).
    /// </summary>
    public void Answered(PeerId holder, ITransportConnection connection, long askedAt)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Watch? replaced;
        lock (_gate)
        {
            if (_holders.TryGetValue(holder, out var watch) && ReferenceEquals(watch.Connection, connection))
            {
                watch.AnsweredAt = askedAt;
                return;
            }

            _holders.Remove(holder, out replaced);
        }

        replaced?.Stop();
        if (connection.Closed.IsCancellationRequested)
        {
            return;
        }

        var fresh = new Watch(connection, askedAt) { Lease = connection.KeepWatched() };
        lock (_gate)
        {
            _holders[holder] = fresh;
        }

        // Registered outside the lock: on a connection that closed meanwhile the callback runs here, at once.
        fresh.Registration = connection.Closed.Register(() => Closed(holder, fresh));
    }

    /// <summary>Stops watching <paramref name="holder"/> (it keeps none of the owner's shards any more, or did not answer).</summary>
    public void Forget(PeerId holder)
    {
        Watch? removed;
        lock (_gate)
        {
            _holders.Remove(holder, out removed);
        }

        removed?.Stop();
    }

    /// <summary>Stops watching every holder not in <paramref name="holders"/>; returns how many were dropped.</summary>
    public int Retain(IReadOnlySet<PeerId> holders)
    {
        ArgumentNullException.ThrowIfNull(holders);
        List<(PeerId Peer, Watch Watch)> removed = [];
        lock (_gate)
        {
            foreach (var (peer, watch) in _holders)
            {
                if (!holders.Contains(peer))
                {
                    removed.Add((peer, watch));
                }
            }

            foreach (var (peer, _) in removed)
            {
                _holders.Remove(peer);
            }
        }

        foreach (var (_, watch) in removed)
        {
            watch.Stop();
        }

        return removed.Count;
    }

    private void Closed(PeerId holder, Watch watch)
    {
        lock (_gate)
        {
            if (!_holders.TryGetValue(holder, out var current) || !ReferenceEquals(current, watch))
            {
                return;
            }

            _holders.Remove(holder);
        }

        watch.Lease?.Dispose();
        connectionLost(holder);
    }

    private sealed class Watch(ITransportConnection connection, long answeredAt)
    {
        public ITransportConnection Connection { get; } = connection;

        public long AnsweredAt { get; set; } = answeredAt;

        public CancellationTokenRegistration Registration { get; set; }

        public IDisposable? Lease { get; init; }

        public void Stop()
        {
            Registration.Dispose();
            Lease?.Dispose();
        }
    }
}
