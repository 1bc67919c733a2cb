using Overlay.Node.Concurrency;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Concurrency;

public sealed class AsyncGateTests
{
    [Fact]
    public void WaitAsync_WhenFull_LetsWaitersInFirstComeFirstServed()
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1);
        var gate = new AsyncGate(2);
        var order = new List<int>();
        net.Run(async () =>
        {
            await gate.WaitAsync(CancellationToken.None);
            await gate.WaitAsync(CancellationToken.None);
            Assert.Equal(0, gate.Available);
            var waiters = Enumerable.Range(0, 4).Select(async i =>
            {
                await gate.WaitAsync(CancellationToken.None);
                order.Add(i);
                await Task.Delay(TimeSpan.FromMilliseconds(10 * (4 - i)), net.Clock);
                gate.Release();
            }).ToList();
            Assert.Empty(order);
            gate.Release();
            gate.Release();
            await Task.WhenAll(waiters);
        });

        Assert.Equal([0, 1, 2, 3], order);
        Assert.Equal(2, gate.Available);
    }

    [Fact]
    public void WaitAsync_Cancelled_TakesNoPlace_AndTheNextWaiterGetsTheRelease()
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1);
        var gate = new AsyncGate(1);
        using var cancel = new CancellationTokenSource();
        Task? cancelled = null;
        var second = false;
        net.Run(async () =>
        {
            await gate.WaitAsync(CancellationToken.None);
            cancelled = gate.WaitAsync(cancel.Token);
            var next = EnterAsync();
#pragma warning disable CA1849 // Cancel, not CancelAsync: the callback runs here, on the scheduler.
            cancel.Cancel();
#pragma warning restore CA1849
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.False(second);
            gate.Release();
            await next;
        });

        Assert.True(cancelled!.IsCanceled);
        Assert.True(second);
        Assert.Equal(0, gate.Available);
        Assert.True(gate.WaitAsync(new CancellationToken(canceled: true)).IsCanceled);

        async Task EnterAsync()
        {
            await gate.WaitAsync(CancellationToken.None);
            second = true;
        }
    }

    [Fact]
    public void WaitAsync_WithACancellableToken_OnTheSimulator_NeverLeavesTheScheduler()
    {
        // The same wait on a SemaphoreSlim posts back from the thread pool
        // (InMemoryNetworkTests.ForeignPosts_CountsAContinuationThatCameBackFromTheThreadPool).
        var net = new InMemoryNetwork(new VirtualTimeProvider(), seed: 1);
        var gate = new AsyncGate(1);
        using var cancel = new CancellationTokenSource();
        var pump = 0;
        var resumedOn = 0;
        var resumedAt = TimeSpan.Zero;
        net.Run(async () =>
        {
            pump = Environment.CurrentManagedThreadId;
            await gate.WaitAsync(cancel.Token);
            var waiting = WaitThenStampAsync();
            await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
            gate.Release();
            await waiting;
        });

        Assert.Equal(0, net.Scheduler.ForeignPosts);
        Assert.Equal(pump, resumedOn);
        Assert.Equal(TimeSpan.FromSeconds(1), resumedAt);

        async Task WaitThenStampAsync()
        {
            await gate.WaitAsync(cancel.Token);
            (resumedOn, resumedAt) = (Environment.CurrentManagedThreadId, net.Clock.Elapsed);
            gate.Release();
        }
    }
}
