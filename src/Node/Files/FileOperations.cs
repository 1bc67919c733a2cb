using System.Globalization;
using System.Text.Json.Nodes;

namespace Overlay.Node.Files;

/// <summary>
/// The stores and fetches running in the daemon. The control API starts one and answers at once with its
/// id; the CLI then asks for its progress until it is done (polling keeps the control protocol one
/// request, one reply). Finished operations are kept for the CLI to collect, the oldest forgotten past
/// <see cref="MaxFinished"/>. Stopping the daemon cancels those still running.
/// </summary>
public sealed class FileOperations(TimeProvider time) : IDisposable
{
    /// <summary>Finished operations remembered for their results.</summary>
    public const int MaxFinished = 64;

    private readonly Dictionary<string, FileOperation> _operations = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private long _next;
    private bool _disposed;

    /// <summary>Starts <paramref name="run"/> as a new operation of <paramref name="kind"/>.</summary>
    public FileOperation Start(string kind, Func<TransferProgress, CancellationToken, Task<JsonObject>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var id = string.Create(CultureInfo.InvariantCulture, $"{kind}-{Interlocked.Increment(ref _next)}");
        var operation = new FileOperation(id, kind, time.GetUtcNow(), CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        lock (_operations)
        {
            Forget();
            _operations[id] = operation;
        }

        operation.Completion = RunAsync(operation, run, time);
        return operation;
    }

    /// <summary>The operation of <paramref name="id"/>, or null when unknown or forgotten.</summary>
    public FileOperation? Find(string id)
    {
        lock (_operations)
        {
            return _operations.GetValueOrDefault(id);
        }
    }

    /// <summary>Asks the operation to stop; false when it is unknown.</summary>
    public bool Cancel(string id)
    {
        if (Find(id) is not { } operation)
        {
            return false;
        }

        try
        {
#pragma warning disable CA1849 // Cancel, not CancelAsync: the operation's callbacks run on the caller's context.
            operation.Cancellation.Cancel();
#pragma warning restore CA1849
        }
        catch (ObjectDisposedException)
        {
            // It finished meanwhile.
        }

        return true;
    }

    /// <summary>Cancels every running operation (the daemon is stopping); later ones start cancelled.</summary>
    public void CancelAll()
    {
        lock (_operations)
        {
            if (!_disposed)
            {
#pragma warning disable CA1849 // Cancel, not CancelAsync: the operations' callbacks run on the caller's context.
                _stopping.Cancel();
#pragma warning restore CA1849
            }
        }
    }

    /// <summary>Cancels every running operation.</summary>
    public void Dispose()
    {
        CancelAll();
        lock (_operations)
        {
            if (!_disposed)
            {
                _disposed = true;
                _stopping.Dispose();
            }
        }
    }

    private static async Task<JsonObject> RunAsync(FileOperation operation, Func<TransferProgress, CancellationToken, Task<JsonObject>> run, TimeProvider time)
    {
        // Yield first, so the control request that started it is answered at once.
        await Task.Yield();
        try
        {
            return await run(operation.Progress, operation.Cancellation.Token);
        }
        finally
        {
            operation.FinishedAt = time.GetUtcNow();
            operation.Cancellation.Dispose();
        }
    }

    private void Forget()
    {
        var finished = _operations.Values.Where(o => o.Completion.IsCompleted).OrderBy(o => o.StartedAt).ToList();
        for (var i = 0; i <= finished.Count - MaxFinished; i++)
        {
            _operations.Remove(finished[i].Id);
        }
    }
}
