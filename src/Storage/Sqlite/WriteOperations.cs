using System.Buffers;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// A unit of work for the single writer. <see cref="Execute"/> runs inside an open transaction and
/// only stages its outcome; <see cref="Complete"/> runs once that transaction committed, so no caller
/// hears of a write before it is durable (per <see cref="StorageDurability"/>).
/// </summary>
internal abstract class WriteOperation
{
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Does the work; throws <see cref="Microsoft.Data.Sqlite.SqliteException"/> when the database fails.</summary>
    public abstract void Execute(ShardWriter writer);

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

    public override void Cancel() => _completion.TrySetCanceled(CancellationToken);
}

internal sealed class PutOperation : WriteOperation<PutResult>
{
    public required ShardId Id { get; init; }

    public required ReadOnlySequence<byte> Data { get; init; }

    public required ShardPutOptions Options { get; init; }

    public override void Execute(ShardWriter writer)
    {
        StagedError = null;
        var outcome = writer.Put(Id, Data, Options);
        switch (outcome)
        {
            case PutOutcome.Stored:
                Staged = new PutResult(Id, Stored: true);
                break;
            case PutOutcome.AlreadyStored:
                Staged = new PutResult(Id, Stored: false);
                break;
            default:
                StagedError = writer.QuotaError(Data.Length);
                break;
        }
    }
}

internal enum PutOutcome
{
    Stored,
    AlreadyStored,
    QuotaExceeded,
}

internal sealed class DeleteOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public override void Execute(ShardWriter writer) => Staged = writer.Delete(Id);
}

internal sealed class SetPinnedOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public required bool Pinned { get; init; }

    public override void Execute(ShardWriter writer) => Staged = writer.SetPinned(Id, Pinned);
}

internal sealed class CollectOperation : WriteOperation<int>
{
    public required long NowUnixMilliseconds { get; init; }

    public required int BatchSize { get; init; }

    public override void Execute(ShardWriter writer) => Staged = writer.CollectExpired(NowUnixMilliseconds, BatchSize);
}

internal sealed class QuarantineOperation : WriteOperation<bool>
{
    public required ShardId Id { get; init; }

    public required string Reason { get; init; }

    public override void Execute(ShardWriter writer) => Staged = writer.Quarantine(Id, Reason);
}

/// <summary>Completes once every operation queued before it has committed.</summary>
internal sealed class BarrierOperation : WriteOperation<bool>
{
    public override void Execute(ShardWriter writer) => Staged = true;
}
