namespace Overlay.Transport.InMemory;

/// <summary>
/// A single-threaded <see cref="SynchronizationContext"/>: posted continuations run one at a
/// time, in posting order, on the thread that pumps it. Together with <see cref="VirtualTimeProvider"/>
/// and a seeded random source this makes a simulated run reproducible.
/// </summary>
public sealed class DeterministicScheduler : SynchronizationContext
{
    private readonly object _lock = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private int _pump;
    private long _foreignPosts;

    /// <summary>Callbacks run so far.</summary>
    public long Executed { get; private set; }

    /// <summary>
    /// Callbacks posted from a thread other than the one that pumps the scheduler. Each is a continuation
    /// that left the scheduler (for the thread pool) and came back when a pool thread got to it, not when
    /// the virtual clock said, so the clock may have moved on meanwhile: a run with any is not reproducible.
    /// Zero in a sound run; the simulator reports it beside its <see cref="DeliveryDigest"/>.
    /// </summary>
    public long ForeignPosts => Interlocked.Read(ref _foreignPosts);

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        var pump = Volatile.Read(ref _pump);
        if (pump != 0 && Environment.CurrentManagedThreadId != pump)
        {
            Interlocked.Increment(ref _foreignPosts);
        }

        lock (_lock)
        {
            _queue.Enqueue((d, state));
            Monitor.PulseAll(_lock);
        }
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state) => Post(d, state);

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs queued callbacks, including those they post, until none is left. Returns how many ran.</summary>
    public int RunPending()
    {
        Pump();
        var ran = 0;
        while (true)
        {
            (SendOrPostCallback Callback, object? State) item;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out item))
                {
                    return ran;
                }
            }

            item.Callback(item.State);
            ran++;
            Executed++;
        }
    }

    /// <summary>Makes the calling thread the one that pumps the scheduler (a run's body posts before the first <see cref="RunPending"/>).</summary>
    internal void Pump() => Volatile.Write(ref _pump, Environment.CurrentManagedThreadId);

    /// <summary>Waits (wall clock) for something to be posted from another thread.</summary>
    internal bool WaitForWork(TimeSpan timeout)
    {
        lock (_lock)
        {
            return _queue.Count > 0 || Monitor.Wait(_lock, timeout);
        }
    }
}
