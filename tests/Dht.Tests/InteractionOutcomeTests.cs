using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Wire;
using Overlay.Transport.Interactions;
using Xunit;

namespace Overlay.Dht.Tests;

/// <summary>How the DHT client sorts a request's end: the peer's failures are charged to it and published; this node's bugs are neither.</summary>
public class InteractionOutcomeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // 100 nodes on the PlanetLab matrix; node 0 looks up a target whose closest contact in its table is the "victim".
    private static (SimulatedDhtNetwork Net, ManualTimeProvider Clock, InProcessDhtRpc Rpc, RecordingInteractions Seen, DhtClient Client, PeerId Target, Overlay.Dht.Routing.Contact[] First, int Victim) Setup()
    {
        var net = new SimulatedDhtNetwork(100, seed: 3, SharedLatency.PlanetLab, new DhtOptions());
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, 0, clock, new RecordStore?[100]);
        var seen = new RecordingInteractions();
        var client = new DhtClient(net.Tables[0], rpc, net.Options, clock, interactions: seen);
        var target = PeerId.Random(new Random(5));
        var first = new Overlay.Dht.Routing.Contact[1];
        net.Tables[0].FindClosest(target, first);
        return (net, clock, rpc, seen, client, target, first, Array.IndexOf(net.Ids, first[0].Id));
    }

    [Fact]
    public async Task FindClosest_LocalBugOnTheWayToAPeer_SurfacesAndIsNotChargedToThePeer()
    {
        var (net, clock, rpc, seen, client, target, first, victim) = Setup();
#pragma warning disable CA2201 // The test stands for a bug of the calling node, which is what the runtime throws.
        rpc.LocalFault[victim] = new NullReferenceException("a bug in the caller");
#pragma warning restore CA2201
        var before = net.Tables[0].Find(first[0].Id)!.FailedRequests;

        var thrown = await Assert.ThrowsAsync<NullReferenceException>(() => DhtClientTests.Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None)));

        Assert.Equal("a bug in the caller", thrown.Message);
        Assert.Equal(before, net.Tables[0].Find(first[0].Id)!.FailedRequests);
        Assert.DoesNotContain(seen.Outcomes, o => o.Peer == first[0].Id);
    }

    [Fact]
    public async Task FindClosest_PeerThatNeverAnswers_IsChargedAndPublishedAsTimedOut()
    {
        var (net, clock, _, seen, client, target, first, victim) = Setup();
        net.Dead[victim] = true;
        var before = net.Tables[0].Find(first[0].Id)!.FailedRequests;

        await DhtClientTests.Drive(clock, () => client.FindClosestAsync(target, CancellationToken.None));
        await DhtClientTests.Drive(clock, async () =>
        {
            await client.WhenMaintenanceIdleAsync();
            return true;
        });

        Assert.Equal(before + 1, net.Tables[0].Find(first[0].Id)!.FailedRequests);
        var outcome = Assert.Single(seen.Outcomes, o => o.Peer == first[0].Id);
        Assert.Equal(InteractionResult.TimedOut, outcome.Result);
        Assert.Equal(DhtOperations.FindNode, outcome.Operation);
        Assert.Equal(net.Options.RequestTimeout, outcome.Latency);
    }

    [Theory]
    [InlineData(DhtErrorCode.RateLimited, InteractionResult.Refused)]
    [InlineData(DhtErrorCode.UnsupportedVersion, InteractionResult.Refused)]
    [InlineData(DhtErrorCode.UnknownType, InteractionResult.Refused)]
    [InlineData(DhtErrorCode.Malformed, InteractionResult.InvalidReply)]
    [InlineData(DhtErrorCode.Internal, InteractionResult.InvalidReply)]
    public void Outcome_ErrorReply_RefusalOnlyForRateAndVersion(DhtErrorCode code, InteractionResult expected)
    {
        var e = new DhtProtocolException(DhtResponseFault.ErrorReply, "answered ERROR") { ErrorCode = code };
        Assert.Equal(expected, e.Outcome);
    }

    [Theory]
    [InlineData(DhtResponseFault.Malformed)]
    [InlineData(DhtResponseFault.ErrorReply)]
    public void Outcome_DroppedResponseWithoutACode_IsAnInvalidReply(DhtResponseFault fault) =>
        Assert.Equal(InteractionResult.InvalidReply, new DhtProtocolException(fault, "dropped").Outcome);
}
