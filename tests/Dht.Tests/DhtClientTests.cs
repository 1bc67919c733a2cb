using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

public class DhtClientTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Runs <paramref name="operation"/> off the test's synchronisation context, advancing the manual
    /// clock one millisecond at a time until it completes. Continuations run inside Advance or, where a
    /// combinator completes asynchronously, on the thread pool a moment later; a stuck operation shows up as
    /// "no timers left" (after a bounded wait for such a continuation) instead of a hang.
    /// </summary>
    internal static Task<T> Drive<T>(ManualTimeProvider clock, Func<Task<T>> operation) => Task.Run(async () =>
    {
        var task = operation();
        for (var step = 0; !task.IsCompleted; step++)
        {
            Assert.True(step < 600_000, "operation did not finish within 10 simulated minutes");
            if (clock.ActiveTimers == 0)
            {
                // Nothing on the clock can move it on: only a continuation already queued can still finish it.
                ((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(10));
                Assert.True(task.IsCompleted, "operation is waiting but no timer is pending");
                break;
            }

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
            var client = new DhtClient(net.Tables[source], rpc, net.Options, clock);
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

    /// <summary>A lookup from <paramref name="source"/> for a key right next to a contact of its own that has died.</summary>
    private static (SimulatedDhtNetwork Net, int Source, int Dead, PeerId Target) NetworkWithDeadNeighbourOfTarget(int seed)
    {
        var net = new SimulatedDhtNetwork(300, seed, SharedLatency.PlanetLab, new DhtOptions());
        const int source = 0;
        // A contact of the source (so a seed of the lookup) that answers within 200 ms when alive.
        var dead = Enumerable.Range(1, 299).First(i => net.Tables[source].Find(net.Ids[i]) is not null && net.Rtt(source, i) < 200);
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        net.Ids[dead].WriteTo(bytes);
        bytes[^1] ^= 1;
        net.Dead[dead] = true;
        return (net, source, dead, PeerId.FromBytes(bytes));
    }

    private static KnownRtt TrueRtt(SimulatedDhtNetwork net, int source) => new(net, source);

    /// <summary>Every RTT known exactly, as a node that has measured every peer would know it.</summary>
    internal sealed class KnownRtt(SimulatedDhtNetwork net, int source) : IRttEstimator
    {
        private readonly Dictionary<PeerId, int> _index = net.Ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);

        public double EstimateRtt(DhtPeer peer) => net.Rtt(source, _index[peer.Id]);

        public double MeasuredRtt(PeerId peer) => net.Rtt(source, _index[peer]);

        public VivaldiCoordinate? CoordinateOf(PeerId peer) => null;
    }

    [Fact]
    public async Task FindClosestAsync_ClosestPeerDead_DoesNotWaitRequestTimeout_AndItsFailureStillReachesTheTable()
    {
        var elapsed = new Dictionary<double, TimeSpan>();
        foreach (var factor in new[] { 3.0, 0.0 })
        {
            var (net, source, dead, target) = NetworkWithDeadNeighbourOfTarget(seed: 14);
            var options = new DhtOptions { RequestTimeout = TimeSpan.FromSeconds(5), PeerTimeoutFactor = factor };
            var clock = new ManualTimeProvider(T0);
            var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[300]);
            var client = new DhtClient(net.Tables[source], rpc, options, clock, TrueRtt(net, source));

            var result = await Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));
            elapsed[factor] = clock.GetUtcNow() - T0;

            Assert.Contains(rpc.Sent, r => r.Peer == net.Ids[dead]);
            Assert.Equal(net.TrueClosest(target, 20, source), result.Closest.Select(p => p.Id));
            if (factor > 0)
            {
                // The lookup gave up on the dead peer after 3 × its expected two round trips (at least
                // 500 ms), not after RequestTimeout; the request ran on in the background, and its failure
                // reaches the routing table once RequestTimeout passes.
                Assert.True(elapsed[factor] < TimeSpan.FromSeconds(2), $"the lookup took {elapsed[factor]}");
                Assert.Equal(0, net.Tables[source].Find(net.Ids[dead])!.FailedRequests);
                await Drive(clock, async () =>
                {
                    await client.WhenMaintenanceIdleAsync();
                    return 0;
                });
                Assert.Equal(1, net.Tables[source].Find(net.Ids[dead])!.FailedRequests);
                Assert.True(clock.GetUtcNow() - T0 >= options.RequestTimeout);
            }
        }

        // The control: with the per-peer timeout off, the same lookup waits for RequestTimeout.
        Assert.True(elapsed[0.0] >= TimeSpan.FromSeconds(5), $"without per-peer timeouts the lookup took {elapsed[0.0]}");
    }

    [Fact]
    public async Task FindClosestAsync_SlowClosestPeerOnlyPredicted_IsWaitedFor_AndStaysInTheResult()
    {
        var found = new Dictionary<bool, bool>();
        foreach (var measured in new[] { false, true })
        {
            var (net, source, slow, target) = NetworkWithDeadNeighbourOfTarget(seed: 14);
            net.Dead[slow] = false;
            // The closest peer to the target answers two seconds late, while its RTT looks like under 200 ms:
            // predicted from a coordinate (as for a peer an answer named), or, in the control, measured.
            var options = new DhtOptions { RequestTimeout = TimeSpan.FromSeconds(5) };
            var clock = new ManualTimeProvider(T0);
            var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[300]);
            rpc.ExtraDelay[slow] = TimeSpan.FromSeconds(2);
            var client = new DhtClient(net.Tables[source], rpc, options, clock, measured ? TrueRtt(net, source) : new PredictedRtt(TrueRtt(net, source)));

            var result = await Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));

            found[measured] = result.Closest.Any(p => p.Id == net.Ids[slow]);
            if (!measured)
            {
                Assert.Equal(net.TrueClosest(target, 20, source), result.Closest.Select(p => p.Id));
            }
        }

        // Patience runs only from a measured RTT: with a measured 200 ms the lookup gives up on the slow peer
        // after 3 × two round trips and ends without it, one of the k closest missing.
        Assert.True(found[false]);
        Assert.False(found[true]);
    }

    [Fact]
    public async Task FindClosestAsync_OnlyContactAnswersPastItsPatience_IsWaitedFor_AndTheLookupGoesOnFromItsAnswer()
    {
        // A join: the table holds only the bootstrap peer, measured (so patience runs), and it answers two seconds
        // late (busy, or starting). Giving up on it would end the lookup with nothing while its answer is on the way.
        var net = new SimulatedDhtNetwork(40, seed: 31, SharedLatency.PlanetLab, new DhtOptions());
        const int source = 0;
        var seed = Enumerable.Range(1, 39).First(i => net.Rtt(source, i) < 300);
        var options = new DhtOptions { RequestTimeout = TimeSpan.FromSeconds(5) };
        var table = new RoutingTable(net.Ids[source], options, T0);
        table.Observe(net.Ids[seed], default, T0, net.Rtt(source, seed));
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[40]);
        rpc.ExtraDelay[seed] = TimeSpan.FromSeconds(2);
        var client = new DhtClient(table, rpc, options, clock, TrueRtt(net, source));

        var result = await Drive(clock, () => client.FindClosestAsync(net.Ids[source], CancellationToken.None));

        // The answer came past the seed's patience (3 × two measured round trips, at least 500 ms) and inside RequestTimeout.
        Assert.True(clock.GetUtcNow() - T0 > TimeSpan.FromSeconds(2));
        Assert.Equal(net.TrueClosest(net.Ids[source], 20, source), result.Closest.Select(p => p.Id));
    }

    /// <summary>The same estimates, none of them measured: every figure is a prediction.</summary>
    private sealed class PredictedRtt(IRttEstimator inner) : IRttEstimator
    {
        public double EstimateRtt(DhtPeer peer) => inner.EstimateRtt(peer);

        public double MeasuredRtt(PeerId peer) => double.NaN;

        public VivaldiCoordinate? CoordinateOf(PeerId peer) => null;
    }

    [Fact]
    public async Task FindClosestAsync_SlowFirstPeer_IsHedged_AndItsAnswerStillCounts()
    {
        var sentAfter = new Dictionary<double, TimeSpan>();
        foreach (var hedge in new[] { 1.0, 0.0 })
        {
            var (net, source, slow, target) = NetworkWithDeadNeighbourOfTarget(seed: 15);
            net.Dead[slow] = false;
            // α = 1, and the closest seed (asked first) answers two seconds late. The lookup must not give
            // up on it (it is the closest peer of all), only stop letting it hold the one slot.
            var options = new DhtOptions { Alpha = 1, PreferLowLatency = false, HedgeFactor = hedge, PeerTimeoutFactor = 0 };
            var clock = new ManualTimeProvider(T0);
            var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[300]);
            rpc.ExtraDelay[slow] = TimeSpan.FromSeconds(2);
            var client = new DhtClient(net.Tables[source], rpc, options, clock, TrueRtt(net, source));

            var result = await Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));

            Assert.Equal(net.Ids[slow], rpc.Sent[0].Peer);
            Assert.Equal(net.Ids[slow], result.Closest[0].Id);
            Assert.Equal(net.TrueClosest(target, 20, source), result.Closest.Select(p => p.Id));
            sentAfter[hedge] = rpc.Sent[1].At - T0;
        }

        // Hedged after its expected two round trips (under 400 ms here); without hedging the second request
        // waits for the slow answer.
        Assert.True(sentAfter[1.0] < TimeSpan.FromMilliseconds(400), $"second request after {sentAfter[1.0]}");
        Assert.True(sentAfter[0.0] >= TimeSpan.FromSeconds(2), $"second request after {sentAfter[0.0]} without hedging");
    }

    [Fact]
    public async Task FindValueAsync_Quorum_CollectsFromSeveralHoldersAndReturnsTheNewest()
    {
        var options = new DhtOptions();
        var net = new SimulatedDhtNetwork(200, seed: 23, SharedLatency.PlanetLab, options);
        var validator = new RecordValidator(options, new EcdsaRecordVerifier());
        var stores = Enumerable.Range(0, 200).Select(_ => (RecordStore?)new RecordStore(options, validator)).ToArray();
        using var publisher = new EcdsaPublisher();
        var key = PeerId.Random(new Random(6));
        const int reader = 7;
        var holders = net.TrueClosest(key, 20, reader).Select(id => Array.IndexOf(net.Ids, id)).ToArray();
        var older = DhtRecord.Create(key, "v1"u8, publisher.PublicKey, 1, T0.AddHours(1), publisher.Sign);
        var newer = DhtRecord.Create(key, "v2"u8, publisher.PublicKey, 2, T0.AddHours(1), publisher.Sign);
        foreach (var h in holders)
        {
            Assert.Equal(RecordRejection.None, stores[h]!.Put(older, T0));
        }

        // One holder, the farthest of them, has already seen the update.
        Assert.Equal(RecordRejection.None, stores[holders[^1]]!.Put(newer, T0));

        var found = new Dictionary<int, (ulong Sequence, int Requests)>();
        foreach (var quorum in new[] { 1, 20 })
        {
            var clock = new ManualTimeProvider(T0);
            var rpc = new InProcessDhtRpc(net, reader, clock, stores);
            var client = new DhtClient(net.Tables[reader], rpc, new DhtOptions { ValueQuorum = quorum }, clock, TrueRtt(net, reader), validator);
            var record = await Drive(clock, () => client.FindValueAsync(key, CancellationToken.None));
            found[quorum] = (record!.Sequence, rpc.LookupRequests);
        }

        // The first valid answer is the old version; a quorum of all holders sees the update.
        Assert.Equal(1UL, found[1].Sequence);
        Assert.Equal(2UL, found[20].Sequence);
        Assert.True(found[1].Requests < found[20].Requests, $"requests: quorum 1 {found[1].Requests}, quorum 20 {found[20].Requests}");
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
