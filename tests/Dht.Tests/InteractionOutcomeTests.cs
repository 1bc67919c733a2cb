using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Transport.Interactions;
using Xunit;

namespace Overlay.Dht.Tests;

/// <summary>How the DHT client sorts a request's end: the peer's failures are charged to it and published; this node's bugs are neither.</summary>
public class InteractionOutcomeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

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
    public async Task FindClosest_LocalBugOnTheWayToAPeer_SurfacesAndIsNotChargedToThePeer()
    {
        var net = new SimulatedDhtNetwork(100, seed: 3, SharedLatency.PlanetLab, new DhtOptions());
        const int source = 0;
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[100]);
        var seen = new RecordingInteractions();
        var client = new DhtClient(net.Tables[source], rpc, net.Options, clock, interactions: seen);
        var target = PeerId.Random(new Random(5));
        var first = new Overlay.Dht.Routing.Contact[1];
        net.Tables[source].FindClosest(target, first);
        var victim = Array.IndexOf(net.Ids, first[0].Id);
#pragma warning disable CA2201 // The test stands for a bug of the calling node, which is what the runtime throws.
        rpc.LocalFault[victim] = new NullReferenceException("a bug in the caller");
#pragma warning restore CA2201
        var before = net.Tables[source].Find(first[0].Id)!.FailedRequests;

        var thrown = await Assert.ThrowsAsync<NullReferenceException>(() => Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None)));

        Assert.Equal("a bug in the caller", thrown.Message);
        Assert.Equal(before, net.Tables[source].Find(first[0].Id)!.FailedRequests);
        Assert.DoesNotContain(seen.Outcomes, o => o.Peer == first[0].Id);
    }

    [Fact]
    public async Task FindClosest_PeerThatNeverAnswers_IsChargedAndPublishedAsTimedOut()
    {
        var net = new SimulatedDhtNetwork(100, seed: 3, SharedLatency.PlanetLab, new DhtOptions());
        const int source = 0;
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, source, clock, new RecordStore?[100]);
        var seen = new RecordingInteractions();
        var client = new DhtClient(net.Tables[source], rpc, net.Options, clock, interactions: seen);
        var target = PeerId.Random(new Random(5));
        var first = new Overlay.Dht.Routing.Contact[1];
        net.Tables[source].FindClosest(target, first);
        var victim = Array.IndexOf(net.Ids, first[0].Id);
        net.Dead[victim] = true;
        var before = net.Tables[source].Find(first[0].Id)!.FailedRequests;

        await Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));
        await Drive(clock, async () =>
        {
            await client.WhenMaintenanceIdleAsync();
            return true;
        });

        Assert.Equal(before + 1, net.Tables[source].Find(first[0].Id)!.FailedRequests);
        var outcome = Assert.Single(seen.Outcomes, o => o.Peer == first[0].Id);
        Assert.Equal(InteractionResult.TimedOut, outcome.Result);
        Assert.Equal(DhtOperations.FindNode, outcome.Operation);
        Assert.Equal(net.Options.RequestTimeout, outcome.Latency);
    }
}
