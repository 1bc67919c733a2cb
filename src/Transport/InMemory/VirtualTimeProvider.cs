namespace Overlay.Transport.InMemory;

/// <summary>
/// A <see cref="TimeProvider"/> whose time moves only when told (<see cref="Advance"/>,
/// <see cref="AdvanceTo"/>). Timers fire in order of due time, ties in order of arming, on the
/// thread that advances the clock, so a run driven from one thread is reproducible.
/// Timestamps are in <see cref="TimeSpan"/> ticks (100 ns) since the start.
/// </summary>
public sealed class VirtualTimeProvider : TimeProvider
{
    private readonly object _lock = new();
    private readonly DateTimeOffset _start;
    private readonly PriorityQueue<(VirtualTimer Timer, long Version), (long Due, long Sequence)> _queue = new();
    private long _now;
    private long _sequence;

    /// <summary>Creates a clock reading <paramref name="startUtc"/>.</summary>
    public VirtualTimeProvider(DateTimeOffset startUtc)
    {
        _start = startUtc.ToUniversalTime();
    }

    /// <summary>Creates a clock starting at 2026-01-01T00:00:00Z.</summary>
    public VirtualTimeProvider()
        : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Virtual time elapsed since the start.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _now));

    /// <summary>Armed timers (including periodic ones).</summary>
    public int PendingTimers
    {
        get
        {
            lock (_lock)
            {
                var n = 0;
                foreach (var (element, _) in _queue.UnorderedItems)
                {
                    if (element.Timer.Version == element.Version)
                    {
                        n++;
                    }
                }

                return n;
            }
        }
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _start.AddTicks(Interlocked.Read(ref _now));

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override long GetTimestamp() => Interlocked.Read(ref _now);

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves time forward by <paramref name="delta"/>, firing every timer due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        AdvanceTo(Elapsed + delta);
    }

    /// <summary>Moves time to <paramref name="elapsed"/> since the start, firing due timers in order.</summary>
    public void AdvanceTo(TimeSpan elapsed)
    {
        var target = elapsed.Ticks;
        while (true)
        {
            VirtualTimer timer;
            lock (_lock)
            {
                if (!TryPeekLive(out var due) || due > target)
                {
                    if (target > _now)
                    {
                        Interlocked.Exchange(ref _now, target);
                    }

                    return;
                }

                var entry = _queue.Dequeue();
                timer = entry.Timer;
                if (due > _now)
                {
                    Interlocked.Exchange(ref _now, due);
                }

                timer.Rearm();
            }

            timer.Fire();
        }
    }

    /// <summary>The elapsed time at which the next timer is due, if any is armed.</summary>
    public bool TryGetNextDue(out TimeSpan due)
    {
        lock (_lock)
        {
            var found = TryPeekLive(out var ticks);
            due = TimeSpan.FromTicks(ticks);
            return found;
        }
    }

    // Under _lock: drops entries of disposed or re-armed timers.
    private bool TryPeekLive(out long due)
    {
        while (_queue.TryPeek(out var element, out var priority))
        {
            if (element.Timer.Version == element.Version)
            {
                due = priority.Due;
                return true;
            }

            _queue.Dequeue();
        }

        due = 0;
        return false;
    }

    private void Schedule(VirtualTimer timer, long dueTicks)
    {
        lock (_lock)
        {
            _queue.Enqueue((timer, timer.Version), (dueTicks, _sequence++));
        }
    }

    private sealed class VirtualTimer : ITimer
    {
        private readonly VirtualTimeProvider _owner;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private long _period = -1;
        private long _version;
        private long _due;

        public VirtualTimer(VirtualTimeProvider owner, TimerCallback callback, object? state)
        {
            _owner = owner;
            _callback = callback;
            _state = state;
        }

        public long Version => Interlocked.Read(ref _version);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_owner._lock)
            {
                if (_version < 0)
                {
                    return false;
                }

                _version++;
                _period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? -1 : period.Ticks;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                _due = _owner._now + Math.Max(0, dueTime.Ticks);
                _owner.Schedule(this, _due);
                return true;
            }
        }

        // Under the owner's lock, after dequeue: a periodic timer is queued again for its next period.
        public void Rearm()
        {
            _version++;
            if (_period > 0)
            {
                _due += _period;
                _owner._queue.Enqueue((this, _version), (_due, _owner._sequence++));
            }
        }

        public void Fire() => _callback(_state);

        public void Dispose()
        {
            lock (_owner._lock)
            {
                _version = long.MinValue;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
