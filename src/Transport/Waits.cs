namespace Overlay.Transport;

/// <summary>
/// Waiting helpers that stay on the caller's <see cref="SynchronizationContext"/>. Combinators
/// such as <c>Task.WaitAsync</c> or <c>Task.WhenAny</c> complete on the thread pool when the
/// awaited task runs its continuations asynchronously; on the single-threaded virtual-time
/// scheduler that hop would race the clock and make a simulated run irreproducible. Plain
/// <c>await</c>s post back to the captured context instead, so these helpers use only those.
/// </summary>
public static class Waits
{
    /// <summary>
    /// True when <paramref name="task"/> finished (in any state) before <paramref name="timeout"/> passed on
    /// <paramref name="time"/>; cancelled when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(time);
        if (task.IsCompleted)
        {
            return true;
        }

        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = time.CreateTimer(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(false), gate, timeout, Timeout.InfiniteTimeSpan);
        using var registration = cancellationToken.Register(static (s, ct) => ((TaskCompletionSource<bool>)s!).TrySetCanceled(ct), gate);
        _ = RelayAsync(task, gate);
        return await gate.Task;
    }

    /// <summary>Awaits <paramref name="completion"/>, cancelling it when <paramref name="cancellationToken"/> fires.</summary>
    public static async Task WaitAsync(TaskCompletionSource completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completion);
        using var registration = cancellationToken.Register(static (s, ct) => ((TaskCompletionSource)s!).TrySetCanceled(ct), completion);
        await completion.Task;
    }

    /// <summary>Awaits <paramref name="task"/> or the cancellation of <paramref name="cancellationToken"/>, whichever comes first.</summary>
    public static async Task<T> WaitAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!cancellationToken.CanBeCanceled || task.IsCompleted)
        {
            return await task;
        }

        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(static (s, ct) => ((TaskCompletionSource<bool>)s!).TrySetCanceled(ct), gate))
        {
            _ = RelayAsync(task, gate);
            await gate.Task;
        }

        return await task;
    }

    private static async Task RelayAsync(Task task, TaskCompletionSource<bool> gate)
    {
        await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        gate.TrySetResult(true);
    }
}
