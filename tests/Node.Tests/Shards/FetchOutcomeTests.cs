using Overlay.Crypto;
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

    private sealed class Recording(List<InteractionOutcome> seen) : IInteractionObserver
    {
        public void Observe(in InteractionOutcome outcome) => seen.Add(outcome);
    }
}
