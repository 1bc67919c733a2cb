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

    [Fact]
    public void RunFor_FailingOnForeignPosts_FailsWhenACallbackCameFromAnotherThreadMeanwhile()
    {
        var lenient = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1);
        var lenientPosting = StartPostingFromAnotherThread(lenient);
        lenient.RunFor(TimeSpan.FromSeconds(2));
        Assert.True(lenientPosting.IsCompletedSuccessfully);
        Assert.Equal(1, lenient.Scheduler.ForeignPosts);

        var strict = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1, failOnForeignPosts: true);
        var strictPosting = StartPostingFromAnotherThread(strict);
        var error = Assert.Throws<InvalidOperationException>(() => strict.RunFor(TimeSpan.FromSeconds(2)));
        Assert.Contains("not reproducible", error.Message, StringComparison.Ordinal);
        Assert.True(strictPosting.IsCompletedSuccessfully);

        // The same network runs on when its run had none.
        strict.RunFor(TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// Starts, on the network's scheduler, a wait of one virtual second after which another thread posts one
    /// callback to the scheduler (as a continuation that left for the thread pool would); the wait joins that
    /// thread, so the post has happened before the scheduler runs on and the test does not race it.
    /// </summary>
    private static Task StartPostingFromAnotherThread(InMemoryNetwork net)
    {
        var posting = Task.CompletedTask;
        net.Run(() =>
        {
            posting = PostFromAnotherThreadAfterASecondAsync(net);
            return Task.CompletedTask;
        });
        return posting;
    }

    private static async Task PostFromAnotherThreadAfterASecondAsync(InMemoryNetwork net)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
        var other = new Thread(() => net.Scheduler.Post(_ => { }, null));
        other.Start();
        other.Join();
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
