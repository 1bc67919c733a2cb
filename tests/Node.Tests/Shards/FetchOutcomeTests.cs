using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Node.Shards;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Tests.Shards;

/// <summary>How the holders asked during one fetch are reported to the interaction seam.</summary>
public sealed class FetchOutcomeTests
{
    private static readonly PeerId[] Peers = Enumerable.Range(0, 4).Select(i => PeerId.Random(new Random(500 + i))).ToArray();

    public static TheoryData<ShardRefusal[], InteractionResult?[]> Cases => new()
    {
        // The first holder sent the shard.
        { [ShardRefusal.None], [InteractionResult.Succeeded] },
        // Bad bytes from the first holder alone, then the next one sent the shard.
        { [ShardRefusal.Mismatch, ShardRefusal.None], [InteractionResult.InvalidReply, InteractionResult.Succeeded] },
        // A holder without the shard refused; the next sent bytes that do not hash: from it alone.
        { [ShardRefusal.NotFound, ShardRefusal.Mismatch, ShardRefusal.None], [InteractionResult.Refused, InteractionResult.InvalidReply, InteractionResult.Succeeded] },
        // One broke off after part of the shard, the next continued and the whole did not hash: whose bytes were bad is unknown.
        { [ShardRefusal.Failed, ShardRefusal.Mismatch, ShardRefusal.None], [InteractionResult.Unreachable, null, InteractionResult.Succeeded] },
        // After bytes were thrown away the next holder starts from zero, so its bad bytes are its own again.
        { [ShardRefusal.Failed, ShardRefusal.Mismatch, ShardRefusal.Mismatch, ShardRefusal.None], [InteractionResult.Unreachable, null, InteractionResult.InvalidReply, InteractionResult.Succeeded] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReportFetch_EachHolderAsked_ChargedOnlyForWhatWasItsOwn(ShardRefusal[] attempts, InteractionResult?[] expected)
    {
        var seen = new List<InteractionOutcome>();
        var observer = new Recording(seen);
        ShardOutcomes.ReportFetch(observer, attempts.Select((r, i) => new HolderAttempt(Peers[i], r, "")).ToList(), TimeSpan.FromMilliseconds(80));

        for (var i = 0; i < attempts.Length; i++)
        {
            var reported = seen.Where(o => o.Peer == Peers[i]).ToList();
            if (expected[i] is { } result)
            {
                var outcome = Assert.Single(reported);
                Assert.Equal(result, outcome.Result);
                Assert.Equal(ShardOutcomes.Fetch, outcome.Operation);
            }
            else
            {
                Assert.Empty(reported);
            }
        }
    }

    [Fact]
    public void Get_EveryHolderServesOtherBytes_FailsAndStillChargesEachOfThem()
    {
        using var t = new ShardTestNetwork(3, 23, o => o.Replicas = 2, (i, node, real) => i is 1 or 2 ? new LyingHolder(real, node) : real);
        var data = ShardTestNetwork.Shard(60_000, 23);
        var id = ShardId.Compute(data);
        var seen = new List<InteractionOutcome>();
        var owner = t.OwnerOf(0, new Recording(seen));
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            await t.Nodes[0].Store.DeleteAsync(id);
            ((LyingHolder)t.Nodes[1].Protocols.HandlerOf(Overlay.Transport.ProtocolIds.Shard)!).Mode = Lie.OtherBytes;
            ((LyingHolder)t.Nodes[2].Protocols.HandlerOf(Overlay.Transport.ProtocolIds.Shard)!).Mode = Lie.OtherBytes;
            seen.Clear();

            var failed = await Assert.ThrowsAsync<ShardExchangeException>(() => owner.GetAsync(id, CancellationToken.None));
            Assert.Equal(ShardRefusal.NotFound, failed.Refusal);
            Assert.Equal(2, failed.Attempts.Count);
        });

        // Each liar sent its bytes alone, so each is charged with an invalid reply although nobody served the shard.
        foreach (var liar in new[] { t.Nodes[1].Identity.PeerId, t.Nodes[2].Identity.PeerId })
        {
            var outcome = Assert.Single(seen, o => o.Peer == liar && o.Operation == ShardOutcomes.Fetch);
            Assert.Equal(InteractionResult.InvalidReply, outcome.Result);
        }
    }

    private sealed class Recording(List<InteractionOutcome> seen) : IInteractionObserver
    {
        public void Observe(in InteractionOutcome outcome) => seen.Add(outcome);
    }
}
