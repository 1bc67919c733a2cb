using Overlay.Transport.InMemory;

namespace Overlay.Transport.Tests.InMemory;

public sealed class VirtualTimeProviderTests
{
    [Fact]
    public void Advance_FiresTimersInDueOrderAndTiesInArmingOrder()
    {
        var clock = new VirtualTimeProvider();
        var fired = new List<string>();
        using var c = clock.CreateTimer(_ => fired.Add($"c@{clock.Elapsed.TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        using var a = clock.CreateTimer(_ => fired.Add($"a@{clock.Elapsed.TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        using var b = clock.CreateTimer(_ => fired.Add($"b@{clock.Elapsed.TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Empty(fired);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(["a@10", "b@10", "c@30"], fired);
        Assert.Equal(TimeSpan.FromMilliseconds(109), clock.Elapsed);
    }

    [Fact]
    public void Advance_PeriodicTimer_FiresEveryPeriodUntilDisposed()
    {
        var clock = new VirtualTimeProvider();
        var count = 0;
        var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(3, count);
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, count);
        Assert.Equal(0, clock.PendingTimers);
    }

    [Fact]
    public void Change_RearmsFromNowAndCancelsTheOldDueTime()
    {
        var clock = new VirtualTimeProvider();
        var fired = new List<double>();
        using var timer = clock.CreateTimer(_ => fired.Add(clock.Elapsed.TotalMilliseconds), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        timer.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Empty(fired);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([15.0], fired);
    }

    [Fact]
    public void TimeProviderApis_UseTheVirtualClock()
    {
        var start = new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var clock = new VirtualTimeProvider(start);
        var delay = Task.Delay(TimeSpan.FromMinutes(5), clock);
        var stamp = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(delay.IsCompleted);
        Assert.Equal(TimeSpan.FromMinutes(5), clock.GetElapsedTime(stamp));
        Assert.Equal(start.AddMinutes(5), clock.GetUtcNow());
    }

    [Fact]
    public void Dispose_ATimerWaitingInTheQueue_LetsGoOfItsStateBeforeItsDueTime()
    {
        // A request's timeout disposed once the answer came: its queue entry waits out the full timeout, and must not
        // keep the request (here 1 MiB standing in for a connection and its buffers) reachable meanwhile.
        // A live timer due earlier keeps the disposed one's entry off the head of the queue, as in a running network.
        var clock = new VirtualTimeProvider();
        using var earlier = clock.CreateTimer(static _ => { }, null, TimeSpan.FromMinutes(5), Timeout.InfiniteTimeSpan);
        var state = ArmAndDispose(clock, TimeSpan.FromMinutes(10));
        clock.Advance(TimeSpan.FromSeconds(1));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.Equal(2, clock.QueuedTimers);
        Assert.Equal(1, clock.PendingTimers);
        Assert.False(state.IsAlive);
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, clock.QueuedTimers);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference ArmAndDispose(VirtualTimeProvider clock, TimeSpan due)
    {
        var state = new byte[1 << 20];
        var timer = clock.CreateTimer(static s => ((byte[])s!)[0] = 1, state, due, Timeout.InfiniteTimeSpan);
        timer.Dispose();
        return new WeakReference(state);
    }
}
