using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// An audit waiting on a holder that went silent does not hold up the repair that replaces that holder: the audit keeps
/// the shard's lock only while it reads or writes the book.
/// </summary>
public sealed class AuditBesideRepairTests
{
    [Fact]
    public void Repair_WhileAnAuditWaitsOnTheSilentHolderItReplaces_StartsAtOnce_AndTheAuditStillJudgesEveryHolder()
    {
        SilentHolder? silent = null;
        using var t = new ShardTestNetwork(5, 41, o => o.Replicas = 3, (i, _, real) => i == 1 ? silent = new SilentHolder(real) : real);
        var data = ShardTestNetwork.Shard(50_000, 41);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var put = await owner.PutAsync(data, CancellationToken.None);
            Assert.Equal(3, put.Holders.Count);
            var quiet = t.Nodes[1].Identity.PeerId;
            Assert.Equal(quiet, put.Holders[0].Peer);
            await t.Nodes[0].Store.DeleteAsync(id);

            // Holder 1 goes silent; the audit asks it first and waits for its answer until StreamTimeout.
            silent!.Silent = true;
            var auditStarted = t.Clock.GetUtcNow();
            var audit = owner.Care.AuditAsync(id, CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(1), t.Clock);
            Assert.False(audit.IsCompleted);

            DateTimeOffset? repairStarted = null;
            var repair = await owner.Care.RepairAsync(id, [quiet], () => repairStarted = t.Clock.GetUtcNow(), CancellationToken.None);
            Assert.Equal("repaired", repair.Detail);
            Assert.NotNull(repairStarted);
            Assert.True(repairStarted.Value - auditStarted < TimeSpan.FromSeconds(2), $"the repair started {repairStarted.Value - auditStarted} after the audit");
            Assert.False(audit.IsCompleted);

            var (shard, verdicts) = await audit;
            Assert.True(t.Clock.GetUtcNow() - auditStarted >= t.Options.StreamTimeout);
            Assert.Equal(HolderVerdict.NoAnswer, verdicts.Single(v => v.Holder == quiet).Verdict);
            Assert.All(verdicts.Where(v => v.Holder != quiet), v => Assert.Equal(HolderVerdict.Passed, v.Verdict));

            // The book is the repair's: the silent holder is gone, its replacement kept, the survivors' audits recorded.
            Assert.DoesNotContain(shard.Holders, h => h.Peer == quiet);
            Assert.Contains(shard.Holders, h => h.Peer == t.Nodes[4].Identity.PeerId);
            Assert.Equal(3, shard.Holders.Count);
            Assert.All(shard.Holders.Where(h => h.Peer != t.Nodes[4].Identity.PeerId), h => Assert.True(h.LastAuditPassed));
        });
    }
}
