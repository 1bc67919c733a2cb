using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

public class DhtClientTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Runs <paramref name="operation"/> off the test's synchronisation context, advancing the manual
    /// clock one millisecond at a time until it completes. Every continuation runs inside Advance, so
    /// a stuck operation shows up as "no timers left" instead of a hang.
    /// </summary>
    private static Task<T> Drive<T>(ManualTimeProvider clock, Func<Task<T>> operation) => Task.Run(async () =>
    {
        var task = operation();
        for (var step = 0; !task.IsCompleted; step++)
        {
            Assert.True(step < 600_000, "operation did not finish within 10 simulated minutes");
            Assert.True(clock.ActiveTimers > 0, "operation is waiting but no timer is pending");
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        return await task;
    });

    [Fact]
    public async Task FindClosestAsync_OverInProcessNetwork_ReturnsTrueKClosest()
    {
        var net = new SimulatedDhtNetwork(300, seed: 8, SharedLatency.PlanetLab, new DhtOptions());
        var random = new Random(4);
        for (var i = 0; i < 20; i++)
        {
            var clock = new ManualTimeProvider(T0);
            var source = random.Next(300);
            var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[300]);
            var client = new DhtClient(net.Tables[source], rpc, net.Options, clock, id => double.NaN);
            var target = PeerId.Random(random);

            var result = await Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));

            Assert.Equal(net.TrueClosest(target, 20, source), result.Closest.Select(p => p.Id));
            Assert.Equal(rpc.LookupRequests, result.Requests);
            Assert.Equal(0, result.Failures);
        }
    }

    [Fact]
    public async Task FindClosestAsync_DeadPeers_TimeOutOnTheInjectedClock()
    {
        var options = new DhtOptions { RequestTimeout = TimeSpan.FromSeconds(2) };
        var net = new SimulatedDhtNetwork(300, seed: 12, SharedLatency.PlanetLab, options, deadFraction: 0.2);
        var source = Array.FindIndex(net.Dead, d => !d);
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[300]);
        var client = new DhtClient(net.Tables[source], rpc, options, clock);
        var target = PeerId.Random(new Random(1));

        var result = await Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));

        Assert.True(result.Failures > 0);
        Assert.All(result.Closest, p => Assert.False(net.Dead[Array.IndexOf(net.Ids, p.Id)]));
        // A timed-out request cannot have ended sooner than the timeout on the manual clock.
        Assert.True(clock.GetUtcNow() - T0 >= options.RequestTimeout);
        Assert.True(clock.GetUtcNow() - T0 < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task PutAsync_ThenFindValueAsync_FromAnotherNode_ReturnsTheRecord()
    {
        var options = new DhtOptions();
        var net = new SimulatedDhtNetwork(200, seed: 21, SharedLatency.PlanetLab, options);
        var verifier = new EcdsaRecordVerifier();
        var validator = new RecordValidator(options, verifier);
        var clock = new ManualTimeProvider(T0);
        var stores = Enumerable.Range(0, 200).Select(_ => (RecordStore?)new RecordStore(options, validator)).ToArray();
        using var publisher = new EcdsaPublisher();
        var key = PeerId.Random(new Random(2));
        var record = DhtRecord.Create(key, "shard-manifest"u8, publisher.PublicKey, 1, T0.AddHours(1), publisher.Sign);

        var writer = new DhtClient(net.Tables[0], new InProcessDhtRpc(net, 0, clock, stores), options, clock, validator: validator);
        var put = await Drive(clock, () => writer.PutAsync(record, required: 5, CancellationToken.None));
        Assert.Equal(20, put.StoredOn);
        Assert.True(put.Succeeded);
        Assert.Equal(1, put.Rounds);
        Assert.Empty(put.Refusals);

        var reader = new DhtClient(net.Tables[150], new InProcessDhtRpc(net, 150, clock, stores), options, clock, validator: validator);
        var found = await Drive(clock, () => reader.FindValueAsync(key, CancellationToken.None));
        Assert.NotNull(found);
        Assert.True(found!.ContentEquals(record));

        var missing = await Drive(clock, () => reader.FindValueAsync(PeerId.Random(new Random(3)), CancellationToken.None));
        Assert.Null(missing);
    }

    [Fact]
    public async Task Lookup_ResponderFallsInFullBucket_OldestIsPingedAndEvictedWhenDead()
    {
        var options = new DhtOptions { K = 2, Alpha = 1, ReplacementCacheSize = 2, MaxContactsPerGroupPerBucket = 2, RequestTimeout = TimeSpan.FromSeconds(1) };
        var net = new SimulatedDhtNetwork(40, seed: 30, SharedLatency.PlanetLab, new DhtOptions());
        const int source = 0;
        var table = new RoutingTable(net.Ids[source], options, T0);
        // Bucket B of the source holds a dead contact (the oldest) and a live helper that knows the live
        // peer L, which also belongs in B. When L answers, B is full: the dead contact is pinged and goes.
        var full = Enumerable.Range(1, 39).GroupBy(i => table.BucketIndexOf(net.Ids[i])).First(g => g.Count() >= 3).ToArray();
        var (dead, helper, live) = (full[0], full[1], full[2]);
        net.Dead[dead] = true;
        // Both were last heard from longer ago than the fresh window, so the oldest is worth a ping.
        table.Observe(net.Ids[dead], default, T0 - options.FreshContactWindow);
        table.Observe(net.Ids[helper], default, T0 - options.FreshContactWindow);
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[40]);
        var client = new DhtClient(table, rpc, options, clock);

        await Drive(clock, async () =>
        {
            await client.FindClosestAsync(net.Ids[live], CancellationToken.None);
            await client.WhenMaintenanceIdleAsync();
            return 0;
        });

        Assert.True(rpc.Pings >= 1);
        // The dead contact is gone, the helper that kept answering stays, and a live peer that answered
        // during the lookup (from the replacement cache) took the free slot.
        Assert.Null(table.Find(net.Ids[dead]));
        Assert.NotNull(table.Find(net.Ids[helper]));
        var bucket = table.BucketIndexOf(net.Ids[live]);
        Assert.Equal(2, table.BucketSize(bucket));
        var members = new Contact[2];
        table.CopyBucket(bucket, members);
        Assert.All(members, c => Assert.False(net.Dead[Array.IndexOf(net.Ids, c.Id)]));
    }

    [Fact]
    public void PeerRateLimiter_BurstThenSustainedRate()
    {
        var limiter = new PeerRateLimiter(new DhtOptions { MaxRequestsPerPeerPerSecond = 10, RequestBurstPerPeer = 3 });
        var peer = TinyIds.Of(1);
        Assert.True(limiter.TryAcquire(peer, T0));
        Assert.True(limiter.TryAcquire(peer, T0));
        Assert.True(limiter.TryAcquire(peer, T0));
        Assert.False(limiter.TryAcquire(peer, T0));
        Assert.True(limiter.TryAcquire(TinyIds.Of(2), T0));
        Assert.False(limiter.TryAcquire(peer, T0.AddMilliseconds(99)));
        Assert.True(limiter.TryAcquire(peer, T0.AddMilliseconds(100)));
        Assert.False(limiter.TryAcquire(peer, T0.AddMilliseconds(100)));
    }

    [Fact]
    public void PeerRateLimiter_BoundedPeers()
    {
        var limiter = new PeerRateLimiter(new DhtOptions(), maxPeers: 8);
        var random = new Random(5);
        for (var i = 0; i < 100; i++)
        {
            limiter.TryAcquire(PeerId.Random(random), T0.AddSeconds(i));
        }

        Assert.True(limiter.TrackedPeers <= 8);
    }
}
