using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Storage.InMemory;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Hosting;

public sealed class ShardStoreServiceTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_WithAnInMemoryOpener_ServesThatStore_CollectsOnTheInjectedClock_AndClosesItAtStop()
    {
        var virtualClock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new TimerSignallingClock(virtualClock);
        using var meters = new TestMeterFactory();
        InMemoryShardStore? opened = null;
        RecordingAdministration? administration = null;
        var service = new ShardStoreService(
            Options.Create(new StorageOptions { CollectInterval = TimeSpan.FromMinutes(1) }),
            clock,
            meters,
            NullLogger<ShardStoreService>.Instance,
            (options, time, meterFactory, logger) =>
            {
                opened = new InMemoryShardStore(options, time, meterFactory, logger, "simulated node");
                administration = new RecordingAdministration(opened);
                return (opened, administration);
            });

        await service.StartAsync(Ct);
        using var stopping = new CancellationTokenSource();
        var collector = service.RunAsync(stopping.Token);
        Assert.Same(opened, service.Store);
        Assert.Same(administration, service.Administration);
        var id = (await service.Store.PutAsync(new byte[] { 1, 2, 3 }, new ShardPutOptions(clock.GetUtcNow().AddSeconds(30)), Ct)).Id;

        // The collector runs on the node's clock (its timer armed by the service's loop): not before its interval, then once it has passed.
        await clock.FirstTimer.WaitAsync(Guard, Ct);
        virtualClock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, administration!.Sweeps);
        virtualClock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new ExpirySweep(1, 0), await administration.FirstSweep.WaitAsync(Guard, Ct));
        Assert.False(service.Store.Contains(id));

        await stopping.CancelAsync();
        await collector.WaitAsync(Guard, Ct);
        await service.StopAsync(Ct);
        Assert.Equal(StorageErrorReason.Closed, Assert.Throws<StorageException>(() => opened!.Contains(id)).Reason);
        Assert.Throws<InvalidOperationException>(() => service.Store);
    }

    /// <summary>Passes collection on to the store and lets the test await the first one.</summary>
    private sealed class RecordingAdministration(IShardStoreAdministration inner) : IShardStoreAdministration
    {
        private readonly TaskCompletionSource<ExpirySweep> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _sweeps;

        public int Sweeps => Volatile.Read(ref _sweeps);

        public Task<ExpirySweep> FirstSweep => _first.Task;

        public async ValueTask<ExpirySweep> CollectExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken = default)
        {
            var sweep = await inner.CollectExpiredAsync(now, batchSize, cancellationToken);
            Interlocked.Increment(ref _sweeps);
            _first.TrySetResult(sweep);
            return sweep;
        }

        public Task<VerifyReport> VerifyAllAsync(IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default) => inner.VerifyAllAsync(progress, cancellationToken);

        public IAsyncEnumerable<QuarantinedShard> EnumerateQuarantineAsync(CancellationToken cancellationToken = default) => inner.EnumerateQuarantineAsync(cancellationToken);

        public Task FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
    }

    /// <summary>The virtual clock, telling the test when the first timer was created on it.</summary>
    private sealed class TimerSignallingClock(VirtualTimeProvider inner) : TimeProvider
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstTimer => _first.Task;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = inner.CreateTimer(callback, state, dueTime, period);
            _first.TrySetResult();
            return timer;
        }
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
