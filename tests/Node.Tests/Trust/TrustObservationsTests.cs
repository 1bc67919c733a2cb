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
    [InlineData("dht", "find_node", InteractionResult.Succeeded, 1.0 / 64, 0.0)]
    [InlineData("dht", "find_node", InteractionResult.TimedOut, 0.0, 1.0 / 64)]
    [InlineData("dht", "ping", InteractionResult.Unreachable, 0.0, 1.0 / 64)]
    [InlineData("dht", "find_value", InteractionResult.InvalidReply, 0.0, 1.0)]
    [InlineData("dht", "find_node", InteractionResult.Refused, 0.0, 0.0)]
    [InlineData("trust", "pull", InteractionResult.Succeeded, 1.0 / 64, 0.0)]
    [InlineData("trust", "pull", InteractionResult.InvalidReply, 0.0, 1.0)]
    [InlineData("shard", "store", InteractionResult.Succeeded, 1.0, 0.0)]
    [InlineData("shard", "store", InteractionResult.Refused, 0.0, 0.0)]
    [InlineData("shard", "store", InteractionResult.InvalidReply, 0.0, 4.0)]
    [InlineData("shard", "pull", InteractionResult.Succeeded, 1.0, 0.0)]
    [InlineData("shard", "fetch", InteractionResult.Succeeded, 1.0, 0.0)]
    [InlineData("shard", "fetch", InteractionResult.InvalidReply, 0.0, 4.0)]
    [InlineData("shard", "audit", InteractionResult.Succeeded, 0.0, 0.0)]
    [InlineData("shard", "probe", InteractionResult.Succeeded, 0.0, 0.0)]
    [InlineData("shard", "renew", InteractionResult.Succeeded, 0.0, 0.0)]
    [InlineData("shard", "audit", InteractionResult.InvalidReply, 0.0, 4.0)]
    [InlineData("shard", "probe", InteractionResult.InvalidReply, 0.0, 4.0)]
    [InlineData("shard", "audit", InteractionResult.TimedOut, 0.0, 1.0)]
    [InlineData("shard", "probe", InteractionResult.Unreachable, 0.0, 1.0)]
    public void Observe_OneOutcome_AddsTheEvidenceItsProtocolIsWorth(string protocol, string operation, InteractionResult result, double satisfactory, double unsatisfactory)
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(3);
        var self = PeerId.Random(random);
        var peer = PeerId.Random(random);
        var options = new PlacementOptions();
        var observations = new TrustObservations(self, new LocalTrustLedger(self, options), new PeerPerformance(self, options, clock), new CapacityBook(options, new CapacityMetrics(_meter)), clock, new TrustMetrics(_meter, () => 0, () => 0));
        var id = protocol switch { "dht" => ProtocolIds.Dht, "trust" => ProtocolIds.Trust, _ => ProtocolIds.Shard };
        var rateBefore = observations.Performance.SuccessRate(peer);
        observations.Observe(new InteractionOutcome(peer, id, operation, result, 40, 40, TimeSpan.FromMilliseconds(20)));

        observations.Ledger.TryGetCounts(peer, clock.GetUtcNow(), out var good, out var bad);
        Assert.Equal(satisfactory, good, 12);
        Assert.Equal(unsatisfactory, bad, 12);
        // Every outcome, whatever it weighs in trust, is one exchange in the measured success rate.
        Assert.NotEqual(rateBefore, observations.Performance.SuccessRate(peer));
        Assert.Equal(result == InteractionResult.Succeeded, observations.Performance.SuccessRate(peer) > 0.5);
        // The node's own exchanges with itself say nothing.
        observations.Observe(Outcome(self, InteractionResult.InvalidReply));
        Assert.False(observations.Ledger.HasDealtWith(self));
    }

    [Fact]
    public void Observe_HolderKeepingHalfItsShardsAndAnsweringTheDhtWell_HasNoLocalTrust_AnHonestHolderDoes()
    {
        // The camouflaged collective of threat model C: it takes every shard, keeps half, passes every check of
        // those it keeps and answers every DHT request. Counted one exchange one vote, it comes out ahead of
        // nothing; weighed, a lost shard outweighs what the kept ones and the DHT answers earned.
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(5);
        var self = PeerId.Random(random);
        var camouflaged = PeerId.Random(random);
        var honest = PeerId.Random(random);
        var options = new PlacementOptions();
        var observations = new TrustObservations(self, new LocalTrustLedger(self, options), new PeerPerformance(self, options, clock), new CapacityBook(options, new CapacityMetrics(_meter)), clock, new TrustMetrics(_meter, () => 0, () => 0));
        var unweighed = new LocalTrustLedger(self, options);
        for (var shard = 0; shard < 10; shard++)
        {
            foreach (var holder in new[] { camouflaged, honest })
            {
                var keeps = holder == honest || shard % 2 == 0;
                Report(holder, ProtocolIds.Shard, ShardOutcomes.Store, InteractionResult.Succeeded);
                for (var check = 0; check < 30; check++)
                {
                    Report(holder, ProtocolIds.Shard, ShardOutcomes.Probe, keeps ? InteractionResult.Succeeded : InteractionResult.InvalidReply);
                    if (!keeps)
                    {
                        break; // found missing: repair moves the shard elsewhere
                    }
                }

                for (var request = 0; request < 50; request++)
                {
                    Report(holder, ProtocolIds.Dht, "find_node", InteractionResult.Succeeded);
                }
            }
        }

        var now = clock.GetUtcNow();
        Assert.Equal(0, observations.Ledger.Score(camouflaged, now));
        Assert.Equal(10 + (500.0 / 64), observations.Ledger.Score(honest, now), 9);
        // Without the weights the same exchanges leave the camouflaged holder with most of the honest one's trust.
        Assert.True(unweighed.Score(camouflaged, now) > 0.7 * unweighed.Score(honest, now));

        void Report(PeerId holder, ProtocolId protocol, string operation, InteractionResult result)
        {
            observations.Observe(new InteractionOutcome(holder, protocol, operation, result, 40, 40, TimeSpan.FromMilliseconds(20)));
            unweighed.Record(holder, result == InteractionResult.Succeeded, clock.GetUtcNow());
        }
    }

    [Fact]
    public void Observe_WeightsFromTheOptions_AreTheOnesApplied()
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(6);
        var self = PeerId.Random(random);
        var peer = PeerId.Random(random);
        var options = new PlacementOptions { RequestEvidenceWeight = 0, LostShardEvidenceWeight = 10, CheckPassedEvidenceWeight = 0.5 };
        var observations = new TrustObservations(
            self, new LocalTrustLedger(self, options), new PeerPerformance(self, options, clock), new CapacityBook(options, new CapacityMetrics(_meter)), clock,
            new TrustMetrics(_meter, () => 0, () => 0), TrustEvidence.From(options));

        observations.Observe(Outcome(peer, InteractionResult.Succeeded));
        Assert.False(observations.Ledger.HasDealtWith(peer));
        observations.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, ShardOutcomes.Audit, InteractionResult.Succeeded, 40, 40, TimeSpan.FromMilliseconds(20)));
        observations.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, ShardOutcomes.Probe, InteractionResult.InvalidReply, 40, 40, TimeSpan.FromMilliseconds(20)));
        observations.Ledger.TryGetCounts(peer, clock.GetUtcNow(), out var good, out var bad);
        Assert.Equal((0.5, 10.0), (good, bad));
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
