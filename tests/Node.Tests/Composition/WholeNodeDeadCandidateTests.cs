using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// A repair that asks candidates which died unnoticed pays a dial timeout for each, as on a real network:
/// the in-memory network makes a dial to a dead host fail only after the handshake timeout.
/// </summary>
public sealed class WholeNodeDeadCandidateTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Repair_AskingTwoDeadCandidatesFirst_TakesTwoDialTimeoutsLonger(int deadDialSeconds)
    {
        var delay = TimeSpan.FromSeconds(deadDialSeconds);
        var exchange = new ShardExchangeOptions { ProbeInterval = TimeSpan.FromSeconds(1), StreamTimeout = TimeSpan.FromSeconds(10), ProbationPeriod = TimeSpan.Zero };
        using var net = new WholeNodeTestNetwork(10, seed: 41, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 }, shardExchange: _ => exchange);
        net.Net.DeadHostDialDelay = delay;
        var data = new byte[16 * 1024];
        new Random(41).NextBytes(data);
        var records = new List<RepairRecord>();
        PeerId victim = default;
        PeerId[] deadCandidates = [];
        IReadOnlyList<PeerId> after = [];
        net.Nodes[0].ShardMaintenance.RepairObserved = records.Add;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(data, CancellationToken.None);
            Assert.Equal(3, put.Holders.Count);
            victim = put.Holders[0].Peer;

            // The two candidates the repair would ask first die too; the owner holds nothing on them, so it does not suspect them.
            deadCandidates = [.. owner.Candidates(put.Id).Select(c => c.Peer).Where(p => p != net.Nodes[0].Id && !put.Holders.Any(h => h.Peer == p)).Take(2)];
            foreach (var peer in deadCandidates.Append(victim))
            {
                net.Transports[Array.FindIndex(net.Nodes, n => n.Id == peer)].Kill();
            }

            await Task.Delay(TimeSpan.FromSeconds(40), net.Clock);
            after = [.. owner.Status(put.Id)!.Holders.Select(h => h.Peer)];
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(3, after.Count);
        Assert.DoesNotContain(victim, after);
        Assert.All(deadCandidates, p => Assert.DoesNotContain(p, after));
        var repair = Assert.Single(records);
        Assert.True(repair.Result.SuspectsRemoved, repair.Result.Detail);
        var took = repair.EndedAt - repair.StartedAt!.Value;
        // Each dead candidate costs the delay; the live one a pull of 16 KiB over links of tens of milliseconds.
        Assert.InRange(took, 2 * delay, 2 * delay + TimeSpan.FromSeconds(1));
    }
}
