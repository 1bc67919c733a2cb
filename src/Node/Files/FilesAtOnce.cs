using Overlay.Node.Concurrency;

namespace Overlay.Node.Files;

/// <summary>
/// Runs one task per file of a directory, <see cref="DirectoryStorer.ParallelFiles"/> at a time. The first
/// failure calls off the others (their token is cancelled) and is rethrown once all have ended.
/// </summary>
internal static class FilesAtOnce
{
    public static async Task RunAsync(int count, Func<int, CancellationToken, Task> body, CancellationToken cancellationToken)
    {
        var gate = new AsyncGate(DirectoryStorer.ParallelFiles);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = Enumerable.Range(0, count).Select(RunOneAsync).ToList();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
#pragma warning disable CA1849 // Cancel, not CancelAsync: the callbacks run here, on the caller's context.
            failed.Cancel();
#pragma warning restore CA1849
            await Task.WhenAll(tasks).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }

        async Task RunOneAsync(int index)
        {
            await gate.WaitAsync(failed.Token);
            try
            {
                await body(index, failed.Token);
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
