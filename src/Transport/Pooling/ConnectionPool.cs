using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;

namespace Overlay.Transport.Pooling;

/// <summary>
/// Keeps at most one connection per peer and reuses it. Concurrent requests for one peer share one
/// dial. Above <see cref="TransportOptions.PoolHighWatermark"/> connections the pool trims itself to
/// <see cref="TransportOptions.PoolLowWatermark"/>, least recently active first, never closing a connection
/// with something in flight, one under a <see cref="ITransportConnection.KeepWatched"/> lease, one kept
/// (<see cref="Keep"/>) or one used within <see cref="TransportOptions.PoolGracePeriod"/> (the connection
/// manager of libp2p is the model). When <see cref="TransportOptions.MaxConnections"/> is reached the least
/// recently used idle connection is closed to make room; a connection unused for <see cref="TransportOptions.IdleTimeout"/>
/// is closed by a sweep on the injected clock; at most <see cref="TransportOptions.MaxConnectionsPer"/> the
/// address's scope connections go to one IP address (public, private and loopback addresses have their
/// own limits, so nodes on one host or one LAN can all be connected). Keep-alive pings are the connections' own (see
/// <see cref="TransportOptions.KeepAliveInterval"/>).
/// </summary>
public sealed class ConnectionPool : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly Dictionary<PeerId, PoolEntry> _byPeer = [];
    private readonly Dictionary<PeerId, Task<ITransportConnection>> _dialing = [];
    private readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private readonly LinkedList<PoolEntry> _lru = new();
    private readonly PoolTrim _trim;
    private readonly ITimer _sweep;
    private bool _disposed;

    /// <summary>Creates a pool dialling through <paramref name="transport"/>.</summary>
    public ConnectionPool(ITransport transport, TransportOptions options, TimeProvider time, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _transport = transport;
        _options = options;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        _trim = new PoolTrim(options, time);
        SweepInterval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, options.IdleTimeout.Ticks / 10));
        _sweep = time.CreateTimer(static s => ((ConnectionPool)s!).Sweep(), this, SweepInterval, SweepInterval);
    }

    /// <summary>How often idle connections are looked for: a tenth of the idle timeout.</summary>
    public TimeSpan SweepInterval { get; }

    /// <summary>Pooled connections.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byPeer.Count;
            }
        }
    }

    /// <summary>Dials made so far (concurrent requests for one peer count once).</summary>
    public int DialCount { get; private set; }

    /// <summary>Connections closed so far because the pool was above its high watermark.</summary>
    public int TrimmedCount { get; private set; }

    /// <summary>The pooled connection to <paramref name="peer"/>, if any.</summary>
    public bool TryGet(PeerId peer, out ITransportConnection connection)
    {
        lock (_lock)
        {
            if (_byPeer.TryGetValue(peer, out var entry) && !entry.Connection.Closed.IsCancellationRequested)
            {
                Touch(entry);
                connection = entry.Connection;
                return true;
            }
        }

        connection = null!;
        return false;
    }

    /// <summary>
    /// Marks the pooled connection to <paramref name="peer"/>, if any, used now and kept: the pool does not
    /// trim it above its high watermark for <see cref="TransportOptions.IdleTimeout"/> from this call (the idle
    /// sweep, which counts from the same use, would not close it sooner either). For connections a protocol
    /// holds open on purpose, such as the DHT's kept contacts. Returns false when none is open. Sends nothing.
    /// </summary>
    public bool Keep(PeerId peer)
    {
        lock (_lock)
        {
            if (_byPeer.TryGetValue(peer, out var entry) && !entry.Connection.Closed.IsCancellationRequested)
            {
                Touch(entry);
                entry.KeptAt = entry.LastUse;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The connection to the peer pinned in <paramref name="address"/>, dialling it if the pool has
    /// none. The address must pin a PeerId: the pool is keyed by identity, not by address.
    /// </summary>
    public async ValueTask<ITransportConnection> GetAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.ExpectedPeer is not { } peer)
        {
            throw new ArgumentException($"The pool needs the peer pinned: {address} has no /p2p/PEERID.", nameof(address));
        }

        Task<ITransportConnection> dial;
        var mine = false;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byPeer.TryGetValue(peer, out var entry) && !entry.Connection.Closed.IsCancellationRequested)
            {
                Touch(entry);
                return entry.Connection;
            }

            if (!_dialing.TryGetValue(peer, out dial!))
            {
                ReserveOrThrow(address);
                dial = _transport.DialAsync(address, CancellationToken.None).AsTask();
                _dialing.Add(peer, dial);
                DialCount++;
                mine = true;
            }
        }

        if (mine)
        {
            try
            {
                var connection = await dial;
                Add(connection, address.HostText, reserved: true);
            }
            catch
            {
                lock (_lock)
                {
                    Release(address.HostText);
                }

                throw;
            }
            finally
            {
                lock (_lock)
                {
                    _dialing.Remove(peer);
                }
            }
        }

        // Everyone waiting for this peer sees the same connection or the same failure.
        var result = await Waits.WaitAsync(dial, cancellationToken);
        lock (_lock)
        {
            if (_byPeer.TryGetValue(peer, out var entry))
            {
                Touch(entry);
            }
        }

        return result;
    }

    /// <summary>
    /// Pools an inbound connection (from <see cref="ITransportListener.AcceptAsync"/>). If the pool
    /// already holds one to that peer, or a limit is reached, the new connection is closed and false returned.
    /// </summary>
    public bool Adopt(ITransportConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var host = connection.RemoteAddress.HostText;
        lock (_lock)
        {
            if (_disposed || _byPeer.ContainsKey(connection.RemotePeer) || !TryReserve(host, LimitFor(connection.RemoteAddress)))
            {
                _ = connection.CloseAsync().AsTask();
                return false;
            }
        }

        Add(connection, host, reserved: true);
        return true;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        PoolEntry[] entries;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            entries = [.. _byPeer.Values];
        }

        _sweep.Dispose();
        foreach (var e in entries)
        {
            await e.Connection.CloseAsync();
        }
    }

    private void Add(ITransportConnection connection, string host, bool reserved)
    {
        ITransportConnection? evicted = null;
        List<ITransportConnection>? trimmed = null;
        lock (_lock)
        {
            if (_byPeer.TryGetValue(connection.RemotePeer, out var existing) && !existing.Connection.Closed.IsCancellationRequested)
            {
                // Lost a race with an inbound connection from the same peer: keep the one already pooled.
                if (reserved)
                {
                    Release(host);
                }

                evicted = connection;
            }
            else
            {
                var entry = new PoolEntry(connection, host);
                entry.Node = _lru.AddLast(entry);
                entry.LastUse = _time.GetTimestamp();
                _byPeer[connection.RemotePeer] = entry;
                if (_byPeer.Count > _options.MaxConnections)
                {
                    evicted = EvictLeastRecentlyUsedIdle(except: entry);
                }

                trimmed = TrimLocked(except: entry);

                connection.Closed.Register(static s =>
                {
                    var (pool, e) = ((ConnectionPool, PoolEntry))s!;
                    pool.Remove(e);
                }, (this, entry));
            }
        }

        if (evicted is not null)
        {
            TransportMetrics.PoolClosed(ReferenceEquals(evicted, connection) ? "duplicate" : "limit");
            _ = evicted.CloseAsync().AsTask();
        }

        CloseAll(trimmed, "trimmed");
    }

    private static void CloseAll(List<ITransportConnection>? connections, string reason)
    {
        if (connections is null)
        {
            return;
        }

        foreach (var c in connections)
        {
            TransportMetrics.PoolClosed(reason);
            _ = c.CloseAsync().AsTask();
        }
    }

    // Under _lock. Above the high watermark: removes the connections the trim chooses and returns them,
    // to be closed outside the lock. The connection just added is never among them: its caller is about to use it.
    private List<ITransportConnection>? TrimLocked(PoolEntry? except)
    {
        if (!_trim.IsDue(_byPeer.Count))
        {
            return null;
        }

        List<ITransportConnection>? trimmed = null;
        foreach (var e in _trim.Choose(_lru, _byPeer.Count, except))
        {
            RemoveLocked(e);
            (trimmed ??= []).Add(e.Connection);
            TrimmedCount++;
        }

        return trimmed;
    }

    // Under _lock.
    private ITransportConnection? EvictLeastRecentlyUsedIdle(PoolEntry except)
    {
        var now = _time.GetTimestamp();
        for (var node = _lru.First; node is not null; node = node.Next)
        {
            var e = node.Value;
            if (!ReferenceEquals(e, except) && e.Connection.ActiveOperations == 0 && !e.Connection.IsKeptWatched && !_trim.IsKept(e, now))
            {
                RemoveLocked(e);
                return e.Connection;
            }
        }

        // Every other connection is busy: the pool runs over its limit until one frees up.
        return null;
    }

    private void Remove(PoolEntry entry)
    {
        lock (_lock)
        {
            RemoveLocked(entry);
        }
    }

    // Under _lock; idempotent.
    private void RemoveLocked(PoolEntry entry)
    {
        if (entry.Node is null)
        {
            return;
        }

        _lru.Remove(entry.Node);
        entry.Node = null;
        if (_byPeer.TryGetValue(entry.Connection.RemotePeer, out var current) && ReferenceEquals(current, entry))
        {
            _byPeer.Remove(entry.Connection.RemotePeer);
        }

        Release(entry.Host);
    }

    // Under _lock.
    private void Touch(PoolEntry entry)
    {
        entry.LastUse = _time.GetTimestamp();
        if (entry.Node is not null && entry.Node != _lru.Last)
        {
            _lru.Remove(entry.Node);
            _lru.AddLast(entry.Node);
        }
    }

    private int LimitFor(TransportAddress address) => _options.MaxConnectionsPer(AddressScopes.Of(address.Host));

    // Under _lock.
    private void ReserveOrThrow(TransportAddress address)
    {
        var limit = LimitFor(address);
        if (!TryReserve(address.HostText, limit))
        {
            var key = TransportOptions.KeyOfLimit(AddressScopes.Of(address.Host));
            throw new TransportException(TransportError.LimitExceeded, $"The pool already holds {limit} connections to {address.HostText}, the limit {key}.");
        }
    }

    // Under _lock.
    private bool TryReserve(string host, int limit)
    {
        var n = _perAddress.GetValueOrDefault(host);
        if (n >= limit)
        {
            return false;
        }

        _perAddress[host] = n + 1;
        return true;
    }

    // Under _lock.
    private void Release(string host)
    {
        var n = _perAddress.GetValueOrDefault(host) - 1;
        if (n <= 0)
        {
            _perAddress.Remove(host);
        }
        else
        {
            _perAddress[host] = n;
        }
    }

    private void Sweep()
    {
        List<ITransportConnection>? idle = null;
        List<ITransportConnection>? trimmed;
        lock (_lock)
        {
            for (var node = _lru.First; node is not null;)
            {
                var e = node.Value;
                node = node.Next;
                if (e.Connection.ActiveOperations == 0 && _time.GetElapsedTime(e.LastActive) >= _options.IdleTimeout)
                {
                    RemoveLocked(e);
                    (idle ??= []).Add(e.Connection);
                }
            }

            // Connections the last additions could not trim (in their grace period then) are trimmed here.
            trimmed = TrimLocked(except: null);

            // The maps only grow otherwise: a burst of peers would keep its slots for the node's lifetime.
            TrimIfSparse(_byPeer);
            TrimIfSparse(_dialing);
            TrimIfSparse(_perAddress);
        }

        CloseAll(idle, "idle");
        CloseAll(trimmed, "trimmed");
    }

    // Under _lock.
    private static void TrimIfSparse<TKey, TValue>(Dictionary<TKey, TValue> map)
        where TKey : notnull
    {
        var capacity = map.EnsureCapacity(0);
        if (capacity > 16 && map.Count < capacity / 4)
        {
            map.TrimExcess();
        }
    }
}
