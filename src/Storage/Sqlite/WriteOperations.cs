using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Overlay.Crypto;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// A unit of work for the single writer. <see cref="Execute"/> runs inside an open transaction and
/// only stages its outcome; <see cref="Complete"/> runs once that transaction committed, so no caller
/// hears of a write before it is durable (per <see cref="StorageDurability"/>).
/// </summary>
internal abstract class WriteOperation
{
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Set when the operation was cancelled before it ran; the writer then skips it.</summary>
    public bool Cancelled { get; protected set; }

    /// <summary>Does the work; throws <see cref="Microsoft.Data.Sqlite.SqliteException"/> when the database fails.</summary>
    public abstract void Execute(ShardTableWriter tables);

    /// <summary>Reports the staged outcome after commit.</summary>
    public abstract void Complete();

    /// <summary>Reports a failure; nothing of the operation was committed.</summary>
    public abstract void Fail(Exception exception);

    public abstract void Cancel();
}

/// <summary>A write operation whose caller awaits a result.</summary>
internal abstract class WriteOperation<T> : WriteOperation
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    protected T Staged { get; set; } = default!;

    protected Exception? StagedError { get; set; }

    public override void Complete()
    {
        if (StagedError is { } error)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult(Staged);
        }
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);

    public override void Cancel()
    {
        Cancelled = true;
        _completion.TrySetCanceled(CancellationToken);
    }
}

/// <summary>
/// A put, pooled and reused: its caller awaits it as a <see cref="ValueTask{TResult}"/> backed by
/// this object, so a small put allocates neither a task nor a completion source. The object goes
/// back to the pool when its result is read, which a <see cref="ValueTask{TResult}"/> allows once.
/// </summary>
internal sealed class PutOperation : WriteOperation, IValueTaskSource<PutResult>
{
    private ManualResetValueTaskSourceCore<PutResult> _core;
    private PutOperationPool? _pool;

    public ShardId Id { get; private set; }

    public ReadOnlySequence<byte> Data { get; private set; }

    // A field, passed on by reference: the options are 128 bytes.
    private ShardPutOptions _options;

    private PutResult _staged;
    private Exception? _stagedError;

    /// <summary>What the commit did with this put, for the writer's per-batch counters.</summary>
    public PutOutcome Outcome { get; private set; }

    public short Version => _core.Version;

    public void Prepare(PutOperationPool? pool, in ShardId id, in ReadOnlySequence<byte> data, in ShardPutOptions options, CancellationToken cancellationToken)
    {
        _pool = pool;
        Id = id;
        Data = data;
        _options = options;
        CancellationToken = cancellationToken;
        // Each caller resumes on the thread pool, as with a TaskCompletionSource: a continuation
        // that blocks can then never hold up the other puts of its batch. (Running them inline on
        // the completing pool thread measured no faster within the noise of this host.)
        _core.RunContinuationsAsynchronously = true;
    }

    public override void Execute(ShardTableWriter tables)
    {
        _stagedError = null;
        Outcome = PutOutcome.Failed;
        Outcome = tables.Put(Id, Data, in _options);
        switch (Outcome)
        {
            case PutOutcome.Stored:
                _staged = new PutResult(Id, Stored: true);
                break;
            case PutOutcome.AlreadyStored:
                _staged = new PutResult(Id, Stored: false);
                break;
            case PutOutcome.OwnerQuotaExceeded:
                _stagedError = tables.OwnerQuotaError(Data.Length, in _options);
                break;
            default:
                _stagedError = tables.QuotaError(Data.Length);
                break;
        }
    }

    public override void Complete()
    {
        if (_stagedError is { } error)
        {
            _core.SetException(error);
        }
        else
        {
            _core.SetResult(_staged);
        }
    }

    // Failures and cancellations are only staged: the batch completer reports them off the writer thread.
    public override void Fail(Exception exception)
    {
        Outcome = PutOutcome.Failed;
        _stagedError = exception;
    }

    public override void Cancel()
    {
        Cancelled = true;
        Outcome = PutOutcome.Failed;
        _stagedError = new OperationCanceledException(CancellationToken);
    }

    public PutResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Returns an operation that never reached the writer (the queue was closed or the wait cancelled).</summary>
    public void Abandon() => Recycle();

    private void Recycle()
    {
        // The caller's bytes must not be kept alive by a pooled object.
        Data = default;
        _staged = default;
        _stagedError = null;
        CancellationToken = default;
        Cancelled = false;
        Outcome = PutOutcome.Failed;
        var pool = _pool;
        _pool = null;
        _core.Reset();
        pool?.Return(this);
    }
}

/// <summary>A bounded pool of <see cref="PutOperation"/>s: enough for a full queue plus a batch in flight.</summary>
internal sealed class PutOperationPool(int capacity)
{
    private readonly ConcurrentQueue<PutOperation> _items = new();
    private int _count;

    public PutOperation Rent()
    {
        if (_items.TryDequeue(out var operation))
        {
            Interlocked.Decrement(ref _count);
            return operation;
        }

        return new PutOperation();
    }

    public void Return(PutOperation operation)
    {
        if (Interlocked.Increment(ref _count) <= capacity)
        {
            _items.Enqueue(operation);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }
}

internal enum PutOutcome
{
    Stored,
    AlreadyStored,
    QuotaExceeded,
    OwnerQuotaExceeded,
    Failed,
}

internal sealed class DeleteOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public override void Execute(ShardTableWriter tables) => Staged = tables.Delete(Id);
}

internal sealed class SetPinnedOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public required bool Pinned { get; init; }

    public override void Execute(ShardTableWriter tables) => Staged = tables.SetPinned(Id, Pinned);
}

internal sealed class RenewOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public required DateTimeOffset? ExpiresAt { get; init; }

    public required PeerId? Owner { get; init; }

    public override void Execute(ShardTableWriter tables) => Staged = tables.Renew(Id, Owner, ExpiresAt);
}

internal sealed class CollectOperation : WriteOperation<ExpirySweep>
{
    public required long NowUnixMilliseconds { get; init; }

    public required int BatchSize { get; init; }

    public override void Execute(ShardTableWriter tables) => Staged = tables.CollectExpired(NowUnixMilliseconds, BatchSize);
}

internal sealed class QuarantineOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public required string Reason { get; init; }

    public override void Execute(ShardTableWriter tables) => Staged = tables.Quarantine(Id, Reason);
}

/// <summary>Completes once every operation queued before it has committed.</summary>
internal sealed class BarrierOperation : WriteOperation<bool>
{
    public override void Execute(ShardTableWriter tables) => Staged = true;
}
