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
    private readonly PriorityQueue<(ScheduledEvent Event, long Version), (long Due, long Sequence)> _queue = new();
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
                    if (element.Event.Version == element.Version)
                    {
                        n++;
                    }
                }

                return n;
            }
        }
    }

    /// <summary>Entries in the timer queue, including those of timers since re-armed or disposed.</summary>
    public int QueuedTimers
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
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
            ScheduledEvent timer;
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
                timer = entry.Event;
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
            if (element.Event.Version == element.Version)
            {
                due = priority.Due;
                return true;
            }

            _queue.Dequeue();
        }

        due = 0;
        return false;
    }

    /// <summary>
    /// Fires <paramref name="item"/> once at <paramref name="dueTicks"/> (elapsed ticks), in the same
    /// order as timers: for events the simulation makes by the million (segments on the wire), which
    /// need no <see cref="ITimer"/> of their own.
    /// </summary>
    internal void Schedule(ScheduledEvent item, long dueTicks)
    {
        lock (_lock)
        {
            _queue.Enqueue((item, item.Version), (dueTicks, _sequence++));
        }
    }

    /// <summary>Something the clock fires at a due time; a queue entry is live while its version is current.</summary>
    internal abstract class ScheduledEvent
    {
        private long _version;

        public long Version => Interlocked.Read(ref _version);

        // Under the owner's lock, after dequeue. A one-shot event is spent; a periodic timer queues itself again.
        public virtual void Rearm() => _version++;

        public abstract void Fire();

        private protected ref long VersionField => ref _version;
    }

    /// <summary>
    /// A timer's entry stays in the queue until its due time even once the timer is disposed or re-armed (a priority queue
    /// removes only its head), so a disposed timer lets go of its callback and state at once: otherwise every request
    /// timeout, deadline and keep-alive disposed early would keep what it points at (a completed request, a closed
    /// connection and its buffers) reachable for the rest of its original due time.
    /// </summary>
    private sealed class VirtualTimer : ScheduledEvent, ITimer
    {
        private readonly VirtualTimeProvider _owner;
        private TimerCallback? _callback;
        private object? _state;
        private long _period = -1;
        private long _due;

        public VirtualTimer(VirtualTimeProvider owner, TimerCallback callback, object? state)
        {
            _owner = owner;
            _callback = callback;
            _state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_owner._lock)
            {
                if (VersionField < 0)
                {
                    return false;
                }

                VersionField++;
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

        public override void Rearm()
        {
            base.Rearm();
            if (_period > 0)
            {
                _due += _period;
                _owner._queue.Enqueue((this, Version), (_due, _owner._sequence++));
            }
        }

        public override void Fire()
        {
            TimerCallback? callback;
            object? state;
            lock (_owner._lock)
            {
                callback = _callback;
                state = _state;
            }

            callback?.Invoke(state);
        }

        public void Dispose()
        {
            lock (_owner._lock)
            {
                VersionField = long.MinValue;
                _callback = null;
                _state = null;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
