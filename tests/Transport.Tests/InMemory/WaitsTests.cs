using Overlay.Transport.InMemory;

namespace Overlay.Transport.Tests.InMemory;

public sealed class WaitsTests
{
    [Fact]
    public void CompletesWithinAsync_TellsCompletionFromTimeoutFromCancellation()
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1, failOnForeignPosts: true);
        bool? completed = null, timedOut = null;
        var cancelledAt = TimeSpan.Zero;
        net.Run(async () =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiting = Waits.CompletesWithinAsync(done.Task, TimeSpan.FromSeconds(10), net.Clock);
            await Task.Delay(TimeSpan.FromSeconds(3), net.Clock);
            done.SetResult();
            completed = await waiting;

            timedOut = await Waits.CompletesWithinAsync(new TaskCompletionSource().Task, TimeSpan.FromSeconds(10), net.Clock);

            using var stop = new CancellationTokenSource();
            var start = net.Clock.Elapsed;
            var cancelled = Waits.CompletesWithinAsync(new TaskCompletionSource().Task, TimeSpan.FromMinutes(10), net.Clock, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(2), net.Clock);
#pragma warning disable CA1849 // Cancel on the scheduler, as the node does.
            stop.Cancel();
#pragma warning restore CA1849
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            cancelledAt = net.Clock.Elapsed - start;
        });

        Assert.True(completed);
        Assert.False(timedOut);
        Assert.Equal(TimeSpan.FromSeconds(2), cancelledAt);
    }

    [Fact]
    public void Run_FailingOnForeignPosts_FailsARunWhoseContinuationCameBackFromThePool()
    {
        var lenient = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1);
        lenient.Run(() => SemaphoreWaitWithATokenAsync(lenient.Clock));
        Assert.True(lenient.Scheduler.ForeignPosts >= 1);

        var strict = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1, failOnForeignPosts: true);
        var error = Assert.Throws<InvalidOperationException>(() => strict.Run(() => SemaphoreWaitWithATokenAsync(strict.Clock)));
        Assert.Contains("not reproducible", error.Message, StringComparison.Ordinal);

        // The same network runs on when its run had none.
        strict.Run(() => Task.Delay(TimeSpan.FromSeconds(1), strict.Clock));
    }

    /// <summary>SemaphoreSlim.WaitAsync with a cancellable token ends its wait on the thread pool (InMemoryNetworkTests).</summary>
    private static async Task SemaphoreWaitWithATokenAsync(TimeProvider time)
    {
        using var gate = new SemaphoreSlim(0, 1);
        using var cancel = new CancellationTokenSource();
        var waiting = AwaitAsync(gate.WaitAsync(cancel.Token));
        await Task.Delay(TimeSpan.FromSeconds(1), time);
        gate.Release();
        await waiting;
    }

    /// <summary>Awaits <paramref name="task"/> from now on, so its completion must post the rest back (it cannot find it done).</summary>
    private static async Task AwaitAsync(Task task) => await task;
}
