using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Node.Trust;
using Overlay.Placement;
using Overlay.Placement.Capacity;
using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Tests.Trust;

/// <summary>What each outcome the seam reports does to local trust and to the measured success rate.</summary>
public sealed class TrustObservationsTests : IDisposable
{
    private readonly Meter _meter = new("trust-observations-tests");

    [Theory]
    [InlineData(InteractionResult.Succeeded, 1.0, 1)]
    [InlineData(InteractionResult.TimedOut, -1.0, 1)]
    [InlineData(InteractionResult.Unreachable, -1.0, 1)]
    [InlineData(InteractionResult.InvalidReply, -1.0, 1)]
    [InlineData(InteractionResult.Refused, 0.0, 1)]
    public void Observe_OneOutcome_MovesLocalTrustAsTheModelSays(InteractionResult result, double trustChange, int counted)
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(3);
        var self = PeerId.Random(random);
        var peer = PeerId.Random(random);
        var options = new PlacementOptions();
        var observations = new TrustObservations(self, new LocalTrustLedger(self, options), new PeerPerformance(self, options, clock), new CapacityBook(options, new CapacityMetrics(_meter)), clock, new TrustMetrics(_meter, () => 0, () => 0));
        // Three good exchanges first, so a bad one has something to take away.
        for (var i = 0; i < 3; i++)
        {
            observations.Observe(Outcome(peer, InteractionResult.Succeeded));
        }

        var before = observations.Ledger.Score(peer, clock.GetUtcNow());
        var rateBefore = observations.Performance.SuccessRate(peer);
        observations.Observe(Outcome(peer, result));

        Assert.Equal(before + trustChange, observations.Ledger.Score(peer, clock.GetUtcNow()), 9);
        Assert.Equal(counted, observations.Performance.SuccessRate(peer) != rateBefore ? 1 : 0);
        Assert.Equal(result == InteractionResult.Succeeded, observations.Performance.SuccessRate(peer) > rateBefore);
        // The node's own exchanges with itself say nothing.
        observations.Observe(Outcome(self, InteractionResult.InvalidReply));
        Assert.False(observations.Ledger.HasDealtWith(self));
    }

    [Theory]
    [InlineData(ShardRefusal.Quota, false, InteractionResult.Refused)]
    [InlineData(ShardRefusal.Rate, false, InteractionResult.Refused)]
    [InlineData(ShardRefusal.Unwilling, false, InteractionResult.Refused)]
    [InlineData(ShardRefusal.Size, false, InteractionResult.Refused)]
    [InlineData(ShardRefusal.Size, true, InteractionResult.InvalidReply)]
    [InlineData(ShardRefusal.NotFound, true, InteractionResult.InvalidReply)]
    [InlineData(ShardRefusal.Mismatch, false, InteractionResult.InvalidReply)]
    [InlineData(ShardRefusal.Malformed, true, InteractionResult.InvalidReply)]
    [InlineData(ShardRefusal.Failed, false, InteractionResult.Unreachable)]
    public void Classify_ShardFailure_RefusalsCostNoTrustAndDroppedShardsDo(ShardRefusal refusal, bool audit, InteractionResult expected)
    {
        Assert.Equal(expected, ShardOutcomes.Classify(new ShardExchangeException(refusal, "x"), audit));
    }

    [Fact]
    public void Classify_ReceiptThatDoesNotHold_IsAnInvalidReply()
    {
        var e = new ShardExchangeException(ShardRefusal.Mismatch, "x") { Rejection = ReceiptRejection.BadSignature };
        Assert.Equal(InteractionResult.InvalidReply, ShardOutcomes.Classify(e, audit: false));
    }

    [Theory]
    [InlineData(HolderCheck.Audit, HolderVerdict.Passed, InteractionResult.Succeeded)]
    [InlineData(HolderCheck.Audit, HolderVerdict.Wrong, InteractionResult.InvalidReply)]
    [InlineData(HolderCheck.Probe, HolderVerdict.Missing, InteractionResult.InvalidReply)]
    [InlineData(HolderCheck.Probe, HolderVerdict.NoAnswer, InteractionResult.TimedOut)]
    [InlineData(HolderCheck.Renew, HolderVerdict.Refused, InteractionResult.Refused)]
    [InlineData(HolderCheck.Pull, HolderVerdict.Missing, InteractionResult.Refused)]
    [InlineData(HolderCheck.Pull, HolderVerdict.Wrong, InteractionResult.InvalidReply)]
    public void ResultOf_OwnersCheckOfAHolder_DroppedOrFakedShardsCostTrustAndRelayedMissesDoNot(HolderCheck check, HolderVerdict verdict, InteractionResult expected) =>
        Assert.Equal(expected, ShardOutcomes.ResultOf(check, verdict));

    [Fact]
    public void Observe_AnswersAndRefusalsCountAsPresent_TimeoutsAsAbsent_AndStoresMoveTheCapacityClaim()
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(4);
        var self = PeerId.Random(random);
        using var holder = NodeIdentity.FromRandom(random);
        var peer = holder.PeerId;
        var options = new PlacementOptions();
        var capacity = new CapacityBook(options, new CapacityMetrics(_meter));
        var observations = new TrustObservations(self, new LocalTrustLedger(self, options), new PeerPerformance(self, options, clock), capacity, clock, new TrustMetrics(_meter, () => 0, () => 0));
        Assert.True(double.IsNaN(observations.Performance.Uptime(peer)));

        observations.Observe(Outcome(peer, InteractionResult.Refused));
        observations.Observe(Outcome(peer, InteractionResult.InvalidReply));
        var present = observations.Performance.Uptime(peer);
        observations.Observe(Outcome(peer, InteractionResult.TimedOut));
        observations.Observe(Outcome(peer, InteractionResult.Unreachable));
        Assert.Equal(3.0 / 4, present, 9);
        Assert.Equal(3.0 / 6, observations.Performance.Uptime(peer), 9);

        var record = CapacityRecord.Sign(holder, clock.GetUtcNow(), 100L << 20, 1L << 30);
        Assert.Equal(CapacityRecordRejection.None, capacity.TryAccept(peer, holder.PublicKey.Encoded, CapacityRecordCodec.Encode(record), clock.GetUtcNow()));
        observations.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, ShardOutcomes.Store, InteractionResult.Succeeded, 40L << 20, 100, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(60L << 20, capacity.FreeBytesFor(peer, clock.GetUtcNow(), unknown: 1));
        // Any other protocol's bytes say nothing of room.
        observations.Observe(new InteractionOutcome(peer, ProtocolIds.Dht, ShardOutcomes.Store, InteractionResult.Succeeded, 50L << 20, 100, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(60L << 20, capacity.FreeBytesFor(peer, clock.GetUtcNow(), unknown: 1));
        observations.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, ShardOutcomes.Store, InteractionResult.Refused, 0, 10, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(0, capacity.FreeBytesFor(peer, clock.GetUtcNow(), unknown: 1));
    }

    public void Dispose() => _meter.Dispose();

    private static InteractionOutcome Outcome(PeerId peer, InteractionResult result) =>
        new(peer, ProtocolIds.Dht, "find_node", result, 40, 40, TimeSpan.FromMilliseconds(20));
}
