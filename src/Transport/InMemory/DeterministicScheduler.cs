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

    /// <summary>Callbacks run so far.</summary>
    public long Executed { get; private set; }

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
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

    /// <summary>Waits (wall clock) for something to be posted from another thread.</summary>
    internal bool WaitForWork(TimeSpan timeout)
    {
        lock (_lock)
        {
            return _queue.Count > 0 || Monitor.Wait(_lock, timeout);
        }
    }
}
