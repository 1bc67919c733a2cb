using System.Buffers;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// A connection's send queues, one per <see cref="TrafficClass"/>. Control frames are encoded into a
/// pooled batch buffer; a batch leaves when it reaches <c>maxBatchBytes</c>, when an urgent frame is
/// queued (it and everything before it leave at once, so order is kept), or when the batch window,
/// started by the batch's first frame and timed on the injected <see cref="TimeProvider"/>, expires.
/// Bulk frames (<see cref="WriteBulkAsync"/>, each at most <see cref="FrameHeader.BulkFrameBytes"/>)
/// wait in a queue of their own. One drain loop at a time writes to the link with strict priority:
/// every sealed control batch before the next bulk frame, and one bulk frame per link write, so a
/// control frame waits behind at most one bulk frame. Each queue holds at most <c>maxQueuedBytes</c>
/// before its senders wait, so bulk never makes a control sender wait either. An idle writer holds
/// no buffer.
/// <para>
/// "At once" for an urgent frame means at the first moment the link can take it: while the drain loop
/// is still writing, or while the connection is serving a read (<see cref="Cork"/>), urgent frames
/// gather in the open batch, which leaves as soon as that write or that read is done. Many answers
/// to one read so cost one link write, not one each, and none waits for the batch window.
/// </para>
/// </summary>
internal sealed class BatchingWriter : IDisposable
{
    private readonly object _lock = new();
    private readonly IFrameLink _link;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly int _maxBatchBytes;
    private readonly int _maxQueuedBytes;
    private readonly Action<Exception> _onFault;
    private readonly Queue<(byte[] Buffer, int Length)> _ready = new();
    private Queue<(byte[] Buffer, int Length)>? _bulk; // made by the first bulk frame: most connections never carry one
    private byte[]? _current;
    private int _currentLength;
    private long _queuedBytes;
    private long _bulkQueuedBytes;
    private ITimer? _timer;
    private bool _timerArmed;
    private bool _draining;
    private bool _flushPending;
    private int _corks;
    private Exception? _closedWith;
    private List<TaskCompletionSource>? _spaceWaiters;
    private List<TaskCompletionSource>? _bulkSpaceWaiters;
    private TaskCompletionSource? _drained;

    public BatchingWriter(IFrameLink link, TimeProvider time, TimeSpan window, int maxBatchBytes, int maxQueuedBytes, Action<Exception> onFault)
    {
        _link = link;
        _time = time;
        _window = window;
        _maxBatchBytes = maxBatchBytes;
        _maxQueuedBytes = maxQueuedBytes;
        _onFault = onFault;
    }

    /// <summary>Bytes queued (both classes) and not yet handed to the link.</summary>
    public long QueuedBytes
    {
        get
        {
            lock (_lock)
            {
                return _queuedBytes + _bulkQueuedBytes;
            }
        }
    }

    /// <summary>
    /// Queues one frame. Returns a completed task unless the queue is over its limit, in which case
    /// the task completes once the drain loop has brought it back under.
    /// </summary>
    public ValueTask WriteAsync(FrameHeader header, ReadOnlySpan<byte> payload, bool urgent, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource? wait = null;
        var startDrain = false;
        lock (_lock)
        {
            if (_closedWith is { } closed)
            {
                return ValueTask.FromException(closed);
            }

            var need = header.FrameLength;
            if (_current is not null && _currentLength > 0 && (_currentLength + need > _current.Length || _currentLength + need > _maxBatchBytes))
            {
                Seal();
            }

            // An urgent frame leaves alone unless the link is busy or a read is being served (then it
            // gathers with the next ones, see Cork).
            var sealNow = (urgent || _window <= TimeSpan.Zero) && !_draining && _corks == 0;
            if (_current is null)
            {
                // A frame sent on its own gets a buffer of its own size: a batch-sized one would
                // make memory follow the frame count rather than the queued bytes while the link
                // lags (a 64 KiB array per 64-byte frame), and empty the pool into allocations.
                _current = ArrayPool<byte>.Shared.Rent(sealNow ? need : Math.Max(need, _maxBatchBytes));
                _currentLength = 0;
            }

            var span = _current.AsSpan(_currentLength);
            header.WriteTo(span);
            payload.CopyTo(span[FrameHeader.Size..]);
            _currentLength += need;
            _queuedBytes += need;

            if (_currentLength >= _maxBatchBytes)
            {
                Seal();
            }
            else if (sealNow)
            {
                Seal();
            }
            else if (urgent || _window <= TimeSpan.Zero)
            {
                // The link is busy or a read is being served: leave with the next write instead of alone.
                _flushPending = true;
            }
            else if (!_timerArmed)
            {
                _timer ??= _time.CreateTimer(static s => ((BatchingWriter)s!).OnWindowExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timerArmed = true;
                _timer.Change(_window, Timeout.InfiniteTimeSpan);
            }

            startDrain = TryClaimDrain(_ready.Count > 0);
            wait = WaitForSpace(_queuedBytes, ref _spaceWaiters);
        }

        return Queued(startDrain, wait, cancellationToken);
    }

    /// <summary>
    /// Queues one bulk frame (at most <see cref="FrameHeader.BulkFrameBytes"/>) behind every control
    /// frame. Returns a completed task unless the bulk queue is over its limit.
    /// </summary>
    public ValueTask WriteBulkAsync(FrameHeader header, ReadOnlySpan<byte> payload, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource? wait = null;
        var startDrain = false;
        lock (_lock)
        {
            if (_closedWith is { } closed)
            {
                return ValueTask.FromException(closed);
            }

            var need = header.FrameLength;
            var buffer = ArrayPool<byte>.Shared.Rent(need);
            header.WriteTo(buffer);
            payload.CopyTo(buffer.AsSpan(FrameHeader.Size));
            (_bulk ??= new()).Enqueue((buffer, need));
            _bulkQueuedBytes += need;
            startDrain = TryClaimDrain(hasWork: true);
            wait = WaitForSpace(_bulkQueuedBytes, ref _bulkSpaceWaiters);
        }

        return Queued(startDrain, wait, cancellationToken);
    }

    /// <summary>
    /// Holds urgent frames in the open batch until the matching <see cref="Uncork"/>, so answers written
    /// while one read is being served leave together. Normal frames keep their window.
    /// </summary>
    public void Cork()
    {
        lock (_lock)
        {
            _corks++;
        }
    }

    /// <summary>Ends a <see cref="Cork"/>; urgent frames held meanwhile leave now.</summary>
    public void Uncork()
    {
        var startDrain = false;
        lock (_lock)
        {
            _corks--;
            if (_corks == 0 && _flushPending && _closedWith is null && !_draining)
            {
                Seal();
                startDrain = TryClaimDrain(_ready.Count > 0);
            }
        }

        if (startDrain)
        {
            _ = DrainAsync();
        }
    }

    /// <summary>
    /// Sends whatever is batched now and completes when the link has taken everything queued; fails
    /// with the close reason once the writer is closed, since nothing queued will leave any more.
    /// </summary>
    public Task FlushAsync()
    {
        var startDrain = false;
        Task done;
        lock (_lock)
        {
            // A drain loop whose link failed ends without clearing _draining, and Close has already
            // answered the flushes it found: a flush that waited now would wait forever.
            if (_closedWith is { } closed)
            {
                return Task.FromException(closed);
            }

            if (_currentLength > 0)
            {
                Seal();
            }

            if (_ready.Count == 0 && (_bulk?.Count ?? 0) == 0 && !_draining)
            {
                return Task.CompletedTask;
            }

            startDrain = TryClaimDrain(hasWork: true);
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done = _drained.Task;
        }

        if (startDrain)
        {
            _ = DrainAsync();
        }

        return done;
    }

    // Under _lock: makes the caller the one to start the drain loop when there is work and none runs.
    private bool TryClaimDrain(bool hasWork)
    {
        if (!hasWork || _draining)
        {
            return false;
        }

        _draining = true;
        return true;
    }

    // Under _lock: a waiter the drain loop releases once its queue is back under the limit, or none.
    private TaskCompletionSource? WaitForSpace(long queuedBytes, ref List<TaskCompletionSource>? waiters)
    {
        if (queuedBytes <= _maxQueuedBytes)
        {
            return null;
        }

        var wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (waiters ??= []).Add(wait);
        return wait;
    }

    // Outside _lock: starts the drain loop if this caller claimed it, and hands back the wait for space.
    private ValueTask Queued(bool startDrain, TaskCompletionSource? wait, CancellationToken cancellationToken)
    {
        if (startDrain)
        {
            _ = DrainAsync();
        }

        return wait is null ? default : new ValueTask(Waits.WaitAsync(wait, cancellationToken));
    }

    private void OnWindowExpired()
    {
        var startDrain = false;
        lock (_lock)
        {
            _timerArmed = false;
            if (_closedWith is not null || _currentLength == 0)
            {
                return;
            }

            Seal();
            startDrain = TryClaimDrain(hasWork: true);
        }

        if (startDrain)
        {
            _ = DrainAsync();
        }
    }

    // Under _lock.
    private void Seal()
    {
        if (_current is null)
        {
            return;
        }

        if (_currentLength > 0)
        {
            _ready.Enqueue((_current, _currentLength));
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_current);
        }

        _current = null;
        _currentLength = 0;
        _flushPending = false;
        if (_timerArmed)
        {
            _timerArmed = false;
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                (byte[] Buffer, int Length) batch = default;
                var bulk = false;
                TaskCompletionSource? drained = null;
                lock (_lock)
                {
                    if (_closedWith is null && _ready.Count == 0 && _flushPending && _corks == 0)
                    {
                        // Urgent frames that arrived during the last write go now, together.
                        Seal();
                    }

                    // Strict priority: a bulk frame leaves only when no control batch is ready.
                    if (_closedWith is not null || (!_ready.TryDequeue(out batch) && !(bulk = _bulk?.TryDequeue(out batch) ?? false)))
                    {
                        _draining = false;
                        drained = _drained;
                        _drained = null;
                        batch = default;
                    }
                }

                if (batch.Buffer is null)
                {
                    drained?.TrySetResult();
                    return;
                }

                try
                {
                    await _link.WriteAsync(batch.Buffer.AsMemory(0, batch.Length), CancellationToken.None);
                    TransportMetrics.Sent(batch.Length);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(batch.Buffer);
                }

                List<TaskCompletionSource>? release = null;
                lock (_lock)
                {
                    if (bulk)
                    {
                        _bulkQueuedBytes -= batch.Length;
                        if (_bulkSpaceWaiters is not null && _bulkQueuedBytes <= _maxQueuedBytes)
                        {
                            release = _bulkSpaceWaiters;
                            _bulkSpaceWaiters = null;
                        }
                    }
                    else
                    {
                        _queuedBytes -= batch.Length;
                        if (_spaceWaiters is not null && _queuedBytes <= _maxQueuedBytes)
                        {
                            release = _spaceWaiters;
                            _spaceWaiters = null;
                        }
                    }
                }

                if (release is not null)
                {
                    foreach (var waiter in release)
                    {
                        waiter.TrySetResult();
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // The link failed under us: the connection is dead, and its owner decides the reason.
            _onFault(ex);
        }
    }

    /// <summary>Stops accepting frames; queued batches are released and waiters fail with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        List<TaskCompletionSource>? space;
        List<TaskCompletionSource>? bulkSpace;
        TaskCompletionSource? drained;
        lock (_lock)
        {
            if (_closedWith is not null)
            {
                return;
            }

            _closedWith = reason;
            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current);
                _current = null;
                _currentLength = 0;
            }

            while (_ready.TryDequeue(out var batch))
            {
                ArrayPool<byte>.Shared.Return(batch.Buffer);
            }

            while (_bulk is not null && _bulk.TryDequeue(out var frame))
            {
                ArrayPool<byte>.Shared.Return(frame.Buffer);
            }

            _queuedBytes = 0;
            _bulkQueuedBytes = 0;
            space = _spaceWaiters;
            bulkSpace = _bulkSpaceWaiters;
            drained = _drained;
            _spaceWaiters = null;
            _bulkSpaceWaiters = null;
            _drained = null;
            _timer?.Dispose();
            _timer = null;
        }

        foreach (var waiter in (IEnumerable<TaskCompletionSource>?)space ?? [])
        {
            waiter.TrySetException(reason);
        }

        foreach (var waiter in (IEnumerable<TaskCompletionSource>?)bulkSpace ?? [])
        {
            waiter.TrySetException(reason);
        }

        drained?.TrySetException(reason);
    }

    public void Dispose() => Close(new TransportException(TransportError.Closed, "The connection is closed."));
}
