namespace Overlay.Node.Concurrency;

/// <summary>
/// A counting semaphore for async code: at most <c>count</c> holders at once, waiters let in first come,
/// first served, and a waiter resumes on the context it awaited from.
/// </summary>
/// <remarks>
/// Used instead of <see cref="SemaphoreSlim"/> by every part a simulated node runs. When a
/// <see cref="SemaphoreSlim.WaitAsync(CancellationToken)"/> with a cancellable token has to wait, the
/// runtime completes it through a continuation on the thread pool, which then posts the caller's
/// continuation back to its context from a pool thread: on the simulator's single-threaded scheduler that
/// arrives whenever the pool gets to it, after the virtual clock may have moved on, so one seed gave
/// different runs. Here the holder that releases completes the next waiter itself, on its own thread, and
/// the waiter's await posts back to its captured context (the thread pool when there is none, as in the daemon).
/// </remarks>
public sealed class AsyncGate
{
    private readonly object _lock = new();
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private int _free;

    /// <summary>Creates a gate that lets <paramref name="count"/> holders in at once (at least 1).</summary>
    public AsyncGate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _free = count;
    }

    /// <summary>Holders that could enter now without waiting.</summary>
    public int Available
    {
        get
        {
            lock (_lock)
            {
                return _free;
            }
        }
    }

    /// <summary>
    /// Enters the gate, waiting for a holder to <see cref="Release"/> when it is full. Pair every
    /// completed wait with one <see cref="Release"/>; a cancelled wait took no place.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before this caller was let in.</exception>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return Task.CompletedTask;
            }

            // Asynchronous continuations: the releasing holder's code never runs the next holder's inline.
            node = _waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        return cancellationToken.CanBeCanceled ? WaitCancellableAsync(node, cancellationToken) : node.Value.Task;
    }

    /// <summary>Lets the longest-waiting caller in, or frees a place when none waits.</summary>
    public void Release()
    {
        TaskCompletionSource? next = null;
        lock (_lock)
        {
            if (_waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                next = first.Value;
            }
            else
            {
                _free++;
            }
        }

        next?.TrySetResult();
    }

    private async Task WaitCancellableAsync(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        // The callback runs on the thread that cancels (the caller's, in the simulator: timers fire on its scheduler).
        using (cancellationToken.Register(() => Cancel(node, cancellationToken)))
        {
            await node.Value.Task;
        }
    }

    private void Cancel(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // Already let in by a Release: the place is this caller's, and it will release it.
            if (node.List is null)
            {
                return;
            }

            _waiters.Remove(node);
        }

        node.Value.TrySetCanceled(cancellationToken);
    }
}
