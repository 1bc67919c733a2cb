using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Node.Trust;
using Overlay.Placement;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Interactions;
using static Overlay.Node.Tests.Trust.TrustTestData;

namespace Overlay.Node.Tests.Trust;

/// <summary>
/// A malicious bootstrap peer, pre-trusted by default, whose signed row names its collective: what the node's own share
/// of p (the cap on the bootstrap peer's, <see cref="PlacementOptions.PreTrustedPeerShareCap"/>) and the revocation of a pre-trusted peer caught losing shards
/// (<see cref="PlacementOptions.RevokePreTrustOnOwnEvidence"/>) leave the collective of the placement weight, against
/// both switched off (a cap of 0.5: p split evenly between the node and its one bootstrap peer, as before either existed).
/// </summary>
public sealed class PreTrustTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.5, false, false)] // both off: the bootstrap peer directs half of all trust, and draws shards it then loses
    [InlineData(0.5, false, true)] // the same with a spy for a bootstrap peer: it keeps its shards
    [InlineData(0.1, false, false)] // the bootstrap peer's share capped at 0.1, the node's own row weighs 0.9; caught losing shards stays in p
    [InlineData(0.1, false, true)] // the same; the spy is not caught
    [InlineData(0.5, true, false)] // the bootstrap peer caught losing shards leaves p
    [InlineData(0.1, true, false)] // the defaults
    [InlineData(0.1, true, true)] // the defaults against a spy
    public void MaliciousBootstrapPeer_NamingItsCollective_DrawsPlacementsOnlyWithoutTheDefences(double cap, bool revoke, bool bootstrapKeepsShards)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var clock = new VirtualTimeProvider(Now);
        var self = Identity(1);
        var bootstrap = Identity(2);
        var random = new Random(5);
        var members = Enumerable.Range(0, 6).Select(_ => PeerId.Random(random)).ToArray();
        var honest = Enumerable.Range(0, 9).Select(_ => PeerId.Random(random)).ToArray();
        var options = new PlacementOptions { PreTrustedPeerShareCap = cap, RevokePreTrustOnOwnEvidence = revoke };
        var trust = new TrustService(
            self, options, [bootstrap.PeerId], "trust", clock, services.GetRequiredService<IMeterFactory>(), NullLogger<TrustService>.Instance);

        // The node stored four shards on every honest peer and on the bootstrap peer; the bootstrap peer then lost them
        // all (each audit answered "missing"), unless it keeps them as a spy does.
        foreach (var peer in honest.Append(bootstrap.PeerId))
        {
            for (var i = 0; i < 4; i++)
            {
                trust.Interactions.Observe(new InteractionOutcome(peer, ProtocolIds.Shard, "store", InteractionResult.Succeeded, 16384, 200, TimeSpan.FromMilliseconds(40)));
            }
        }

        for (var i = 0; i < 4 && !bootstrapKeepsShards; i++)
        {
            trust.Interactions.Observe(new InteractionOutcome(bootstrap.PeerId, ProtocolIds.Shard, "audit", InteractionResult.InvalidReply, 100, 100, TimeSpan.FromMilliseconds(40)));
        }

        // The bootstrap peer's signed row names only the collective; being pre-trusted, the node takes it.
        var row = LocalTrustVector.FromScores(bootstrap.PeerId, members.Select(m => new KeyValuePair<PeerId, double>(m, 1)), 256);
        Assert.Equal(TrustRecordRejection.None, trust.Records.TryAccept(bootstrap.PublicKey.Encoded, TrustRecordCodec.Encode(TrustRecord.Sign(bootstrap, Now, row)), Now));
        var snapshot = trust.Recompute();

        // Candidates alike in all but trust: the collective's share of the placement weight is its share of first picks.
        PeerId[] malicious = [bootstrap.PeerId, .. members];
        var candidates = malicious.Concat(honest)
            .Select((peer, i) => new PlacementCandidate(peer, (ulong)(i + 1), 0, double.NaN, double.NaN, 50, 1, 1, 1L << 30))
            .ToArray();
        var set = WeightedCandidates.Prepare(candidates, snapshot, options);
        var total = Enumerable.Range(0, set.Count).Sum(set.WeightOf);
        var onMalicious = Enumerable.Range(0, malicious.Length).Sum(set.WeightOf) / total;
        var onMembers = Enumerable.Range(1, members.Length).Sum(set.WeightOf) / total;
        var report = $"collective's global trust {malicious.Sum(snapshot.TrustOf):F3}, its share of the placement weight {onMalicious:P1} " +
            $"({onMembers:P1} on the members the bootstrap peer names), pre-trusted in use {trust.PreTrustedInUse}";
        // 7 of the 16 candidates: uniform placement would give them 44 %, the members 38 %.
        output.WriteLine(report);
        if (cap < 0.5 || (revoke && !bootstrapKeepsShards))
        {
            // The bootstrap peer's share of p capped at 0.1, or the bootstrap peer revoked: what the bootstrap peer vouches for reaches the members thinly.
            Assert.True(onMembers < 0.05, report);
        }
        else
        {
            Assert.True(onMembers > 0.3, report);
        }

        // The bootstrap peer itself, pre-trusted, sits at the trust cap until this node revokes it: a holder that loses
        // what it takes keeps drawing shards unless its own evidence takes it out of p.
        var onBootstrap = onMalicious - onMembers;
        if (revoke && !bootstrapKeepsShards)
        {
            Assert.True(onBootstrap < 0.01, report);
        }
        else
        {
            Assert.True(onBootstrap > 0.1, report);
        }

        Assert.Equal(revoke && !bootstrapKeepsShards ? 0 : 1, trust.PreTrustedInUse);
    }
}
