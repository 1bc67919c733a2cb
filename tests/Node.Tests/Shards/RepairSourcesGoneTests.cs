using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// A repair whose surviving holders have lost the shard unseen (gone, not yet suspected) stops after a few candidates report
/// that no source gave it, rather than sending every candidate the selector knows to the same sources.
/// </summary>
public sealed class RepairSourcesGoneTests
{
    [Fact]
    public void Repair_EverySurvivorLostTheShard_StopsAfterThreeCandidatesInARow()
    {
        // Without probation: the owner's own copy would otherwise be the source every candidate gets the shard from.
        using var t = new ShardTestNetwork(9, 45, o =>
        {
            o.Replicas = 2;
            o.ProbationPeriod = TimeSpan.Zero;
        });
        var data = ShardTestNetwork.Shard(20_000, 45);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        var pulls = new List<(int Candidate, HolderVerdict Verdict)>();
        owner.Care.Observed = o =>
        {
            if (o.Check == HolderCheck.Pull)
            {
                pulls.Add((t.Nodes.FindIndex(n => n.Identity.PeerId == o.Holder), o.Verdict));
            }
        };
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var put = await owner.PutAsync(id, data, [.. owner.Candidates(id).Take(2)], 2, CancellationToken.None);
            Assert.Equal(2, put.Holders.Count);
            await t.Nodes[2].Store.DeleteAsync(id);

            var repair = await owner.Care.RepairAsync(id, [t.Nodes[1].Identity.PeerId], null, CancellationToken.None);
            Assert.Equal(0, repair.Added);
            Assert.False(repair.SuspectsRemoved);
            Assert.Contains("no source gave it to 3 candidates in a row", repair.Detail, StringComparison.Ordinal);
            Assert.Equal(new[] { (3, HolderVerdict.Missing), (4, HolderVerdict.Missing), (5, HolderVerdict.Missing) }, pulls);
            Assert.Equal(2, owner.Status(id)!.Holders.Count);
        });
    }
}
