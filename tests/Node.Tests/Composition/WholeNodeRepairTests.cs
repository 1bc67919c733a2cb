using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// The owner's maintenance in whole nodes on virtual time: holders of an owner's shards are killed one
/// after another, and the shards are still read back, verified, by a node that never saw the put, which
/// finds the new holders through provider records. The same run with repair switched off loses them.
/// </summary>
public sealed class WholeNodeRepairTests
{
    private const int Nodes = 30;
    private const int Shards = 6;
    private const int ShardBytes = 16 * 1024;

    [Fact]
    public void Repair_WhenAShardsHoldersAreKilledOneByOne_KeepsEveryShardRetrievableFromAnotherNode()
    {
        var run = Run(repair: true, seed: 31);

        Assert.True(Shards == run.Retrievable, run.Detail);
        Assert.Equal(Shards, run.FullyReplicated);
        Assert.True(run.RepairsFinished >= 3, $"{run.RepairsFinished} repairs finished");
        // Every live holder, the new ones included, is findable without the owner.
        Assert.Equal(Shards, run.FoundThroughProviders);
    }

    [Fact]
    public void Repair_WhenDisabled_TheSameKillsLoseTheShard()
    {
        // The failure the repair defends against: after three rounds every original holder of the first shard is gone.
        var run = Run(repair: false, seed: 31);

        Assert.True(run.Retrievable < Shards, run.Detail);
        Assert.True(run.Lost.Contains(0), run.Detail);
        Assert.Equal(0, run.RepairsFinished);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Maintenance_AHolderThatSilentlyDropsTheShard_IsCaughtAndReplacedOnlyWithRepairOn(bool repair)
    {
        var exchange = new ShardExchangeOptions { RepairEnabled = repair, ProbeInterval = TimeSpan.FromSeconds(1), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(12, seed: 33, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 }, shardExchange: _ => exchange);
        var data = new byte[ShardBytes];
        new Random(33).NextBytes(data);
        PeerId dropper = default;
        IReadOnlyList<PeerId> after = [];
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(data, CancellationToken.None);
            dropper = put.Holders[0].Peer;
            // The holder acknowledged (its receipt is in the book), then deletes the bytes without a word.
            Assert.True(await net.Nodes.Single(n => n.Id == dropper).ShardStore.Store.DeleteAsync(put.Id));
            await Task.Delay(TimeSpan.FromSeconds(10), net.Clock);
            after = [.. owner.Status(put.Id)!.Holders.Select(h => h.Peer)];
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(3, after.Count);
        Assert.Equal(!repair, after.Contains(dropper));
        Assert.Equal(repair ? 1 : 0, net.Nodes[0].ShardExchange.Metrics.RepairsFinished);
        Assert.Equal(0, net.Nodes[0].ShardExchange.Metrics.RepairsInFlight);
    }

    [Fact]
    public void Maintenance_AHolderThatDropsThreeOfItsFourShards_IsSuspectedForExactlyThoseWithinOneProbeRound()
    {
        // Four nodes: every shard goes to the same three holders. A probe naming one shard per holder and round would need
        // three rounds to find the three dropped shards (and could never find them while it kept naming the fourth); the
        // batched probe names all four each round.
        // Presence is checked every round here (by default a holder answering over an open connection is asked every 30 s).
        var exchange = new ShardExchangeOptions { RepairEnabled = false, ProbeInterval = TimeSpan.FromSeconds(1), PresenceInterval = TimeSpan.FromSeconds(1), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(4, seed: 36, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 }, shardExchange: _ => exchange);
        var random = new Random(36);
        var ids = new List<ShardId>();
        var missing = 0L;
        IReadOnlyList<PeerId> keptSuspects = [];
        IReadOnlyList<PeerId> droppedSuspects = [];
        long probes = 0;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            PeerId dropper = default;
            for (var s = 0; s < 4; s++)
            {
                var data = new byte[ShardBytes];
                random.NextBytes(data);
                var put = await owner.PutAsync(data, CancellationToken.None);
                Assert.Equal(3, put.Holders.Count);
                dropper = put.Holders[0].Peer;
                ids.Add(put.Id);
            }

            var store = net.Nodes.Single(n => n.Id == dropper).ShardStore.Store;
            for (var s = 1; s < 4; s++)
            {
                Assert.True(await store.DeleteAsync(ids[s]));
            }

            await Task.Delay(TimeSpan.FromSeconds(1.9), net.Clock);
            var metrics = net.Nodes[0].ShardExchange.Metrics;
            missing = metrics.SuspectsFor(SuspectReason.Missing);
            keptSuspects = net.Nodes[0].ShardMaintenance.Watched.SuspectsOf(ids[0]).Holders;
            droppedSuspects = net.Nodes[0].ShardMaintenance.Watched.SuspectsOf(ids[3]).Holders;
            var before = metrics.ProbesSent;
            await Task.Delay(TimeSpan.FromSeconds(10), net.Clock);
            probes = metrics.ProbesSent - before;
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(3, missing);
        Assert.Empty(keptSuspects);
        Assert.Single(droppedSuspects);
        // One stream per holder and round (three holders, ten rounds), not one per shard and holder (twelve a round).
        Assert.InRange(probes, 27, 33);
    }

    [Fact]
    public void Repair_AfterReplacingAHolderCaughtDropping_DoesNotHandTheNextRepairBackToIt()
    {
        // Six nodes and closest placement: the dropper is one of the three candidates nearest the shard, so once it has
        // left the book it is nearer than either remaining node, and the next repair of the shard would choose it first.
        var exchange = new ShardExchangeOptions { ProbeInterval = TimeSpan.FromSeconds(1), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(6, seed: 37, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 }, shardExchange: _ => exchange);
        var data = new byte[ShardBytes];
        new Random(37).NextBytes(data);
        PeerId dropper = default;
        PeerId added = default;
        IReadOnlyList<PeerId> afterFirst = [];
        IReadOnlyList<PeerId> afterSecond = [];
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(data, CancellationToken.None);
            dropper = put.Holders[0].Peer;
            Assert.True(await net.Nodes.Single(n => n.Id == dropper).ShardStore.Store.DeleteAsync(put.Id));
            await Task.Delay(TimeSpan.FromSeconds(10), net.Clock);
            afterFirst = [.. owner.Status(put.Id)!.Holders.Select(h => h.Peer)];

            // The holder that first repair added goes away: the second repair's nearest candidate is the dropper.
            added = afterFirst.First(p => !put.Holders.Any(h => h.Peer == p));
            net.Transports[Array.FindIndex(net.Nodes, n => n.Id == added)].Kill();
            await Task.Delay(TimeSpan.FromSeconds(20), net.Clock);
            afterSecond = [.. owner.Status(put.Id)!.Holders.Select(h => h.Peer)];
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(3, afterFirst.Count);
        Assert.DoesNotContain(dropper, afterFirst);
        Assert.Equal(3, afterSecond.Count);
        Assert.DoesNotContain(added, afterSecond);
        Assert.DoesNotContain(dropper, afterSecond);
        Assert.Equal(2, net.Nodes[0].ShardExchange.Metrics.RepairsFinished);
    }

    [Fact]
    public void Maintenance_AHolderTheRoutingTableEvicts_IsSuspectedAndReplacedBeforeAnyProbe()
    {
        // Probes every 10 min: within the minute below only the routing table can tell the owner. Small buckets
        // (k = 3) keep replacement caches filled, so one failed request evicts a contact (StaleContactFailures 1).
        var exchange = new ShardExchangeOptions { ProbeInterval = TimeSpan.FromMinutes(10), StreamTimeout = TimeSpan.FromSeconds(10) };
        var dht = new DhtOptions { K = 3, StaleContactFailures = 1, MaxContactsPerGroupPerBucket = 3, MaxContactsPerGroupInTable = 65536 };
        using var net = new WholeNodeTestNetwork(16, seed: 35, dht, shardExchange: _ => exchange);
        var data = new byte[ShardBytes];
        new Random(35).NextBytes(data);
        PeerId victim = default;
        var evicted = false;
        IReadOnlyList<PeerId> after = [];
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(data, CancellationToken.None);
            var table = net.Dht(0).SnapshotContacts().Select(c => c.Id).ToHashSet();
            victim = put.Holders.Select(h => h.Peer).First(table.Contains);
            net.Dht(0).ContactEvicted += id => evicted |= id == victim;
            net.Transports[Array.FindIndex(net.Nodes, n => n.Id == victim)].Kill();
            // The owner's own DHT traffic meets the dead holder: a lookup of its id asks it first.
            for (var i = 0; i < 3 && !evicted; i++)
            {
                await net.Dht(0).FindClosestAsync(victim, CancellationToken.None);
            }

            await Task.Delay(TimeSpan.FromSeconds(30), net.Clock);
            after = [.. owner.Status(put.Id)!.Holders.Select(h => h.Peer)];
        }, TimeSpan.FromMinutes(1));

        var metrics = net.Nodes[0].ShardExchange.Metrics;
        Assert.True(evicted, "the owner's routing table never evicted the killed holder");
        Assert.Equal(1, metrics.SuspectsFor(SuspectReason.LeftRoutingTable));
        Assert.Equal(0, metrics.SuspectsFor(SuspectReason.NotAnswering));
        Assert.Equal(1, metrics.RepairsFinished);
        Assert.Equal(3, after.Count);
        Assert.DoesNotContain(victim, after);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Maintenance_RenewsWhatTheOwnerKeeps_HoldersDropWhatItStopsRenewing(bool retain)
    {
        var exchange = new ShardExchangeOptions
        {
            HoldDuration = TimeSpan.FromMinutes(10),
            RenewBefore = TimeSpan.FromMinutes(5),
            AuditInterval = TimeSpan.FromMinutes(1),
            StreamTimeout = TimeSpan.FromSeconds(10),
        };
        using var net = new WholeNodeTestNetwork(8, seed: 34, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 }, shardExchange: _ => exchange);
        net.Nodes[0].ShardMaintenance.Retain = _ => retain;
        var data = new byte[ShardBytes];
        new Random(34).NextBytes(data);
        var kept = 0;
        net.Net.Run(async () =>
        {
            var put = await net.Nodes[0].ShardExchange.Owner!.PutAsync(data, CancellationToken.None);
            // Three hold durations: without renewal every hold has expired and been collected.
            await Task.Delay(TimeSpan.FromMinutes(30), net.Clock);
            // The holders' stores: the owner keeps its own copy on probation meanwhile, renewed while its holders are not vetted.
            kept = net.Nodes.Skip(1).Count(n => n.ShardStore.Store.Contains(put.Id));
        }, TimeSpan.FromMinutes(1));

        var metrics = net.Nodes[0].ShardExchange.Metrics;
        Assert.Equal(retain ? 3 : 0, kept);
        Assert.Equal(retain, metrics.Renewals > 0);
        if (retain)
        {
            // More audits than the 16 challenges prepared at put time, all passed: the owner read the shard back for more.
            Assert.True(metrics.AuditsPassed > exchange.AuditChallengesPerHolder * 3, $"{metrics.AuditsPassed} audits passed");
            Assert.Equal(0, metrics.AuditsFailed);
        }
    }

    private static (int Retrievable, int FullyReplicated, long RepairsFinished, int FoundThroughProviders, string Detail, List<int> Lost) Run(bool repair, int seed)
    {
        var exchange = new ShardExchangeOptions
        {
            RepairEnabled = repair,
            ProbeInterval = TimeSpan.FromSeconds(1),
            AuditInterval = TimeSpan.FromMinutes(1),
            StreamTimeout = TimeSpan.FromSeconds(10),
            // Repair from surviving holders alone: the owner's copy on probation would keep every shard through the kills.
            ProbationPeriod = TimeSpan.Zero,
        };
        using var net = new WholeNodeTestNetwork(Nodes, seed, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 }, shardExchange: _ => exchange);
        Assert.Equal(Nodes - 1, net.Joined);
        var data = new byte[Shards][];
        var ids = new ShardId[Shards];
        var retrievable = 0;
        var replicated = 0;
        var viaProviders = 0;
        var dead = new HashSet<PeerId>();
        var detail = "";
        var lost = new List<int>();
        const int owner = 0;
        net.Net.Run(async () =>
        {
            var random = new Random(seed);
            for (var s = 0; s < Shards; s++)
            {
                data[s] = new byte[ShardBytes];
                random.NextBytes(data[s]);
                var outcome = await net.Nodes[owner].ShardExchange.Owner!.PutAsync(data[s], CancellationToken.None);
                Assert.Equal(3, outcome.Holders.Count);
                ids[s] = outcome.Id;
            }

            // Three rounds: kill one current holder of the first shard, then give the owner a minute. Every
            // other shard that shared the victim loses a holder too.
            for (var round = 0; round < 3; round++)
            {
                var holders = net.Nodes[owner].ShardExchange.Owner!.Status(ids[0])!.Holders;
                var victim = holders.Select(h => h.Peer).First(p => !dead.Contains(p));
                dead.Add(victim);
                net.Transports[Array.FindIndex(net.Nodes, n => n.Id == victim)].Kill();
                await Task.Delay(TimeSpan.FromMinutes(1), net.Clock);
            }

            var reader = Array.FindIndex(net.Nodes, n => n.Id != net.Nodes[owner].Id && !dead.Contains(n.Id));
            for (var s = 0; s < Shards; s++)
            {
                var holders = net.Nodes[owner].ShardExchange.Owner!.Status(ids[s])!.Holders;
                replicated += holders.Count(h => !dead.Contains(h.Peer)) >= 3 ? 1 : 0;
                var announced = await new DhtShardProviders(() => net.Dht(reader)).FindAsync(ids[s], CancellationToken.None);
                viaProviders += holders.Where(h => !dead.Contains(h.Peer)).All(h => announced.Any(a => a.Peer == h.Peer)) ? 1 : 0;
                try
                {
                    var (bytes, attempts) = await net.Nodes[reader].ShardExchange.Owner!.GetAsync(ids[s], CancellationToken.None);
                    Assert.Equal(data[s], bytes);
                    retrievable++;
                    _ = attempts;
                }
                catch (ShardExchangeException e) when (e.Refusal == ShardRefusal.NotFound)
                {
                    lost.Add(s);
                    detail += $"shard {s}: {string.Join(",", holders.Select(h => (dead.Contains(h.Peer) ? "dead " : "live ") + h.Peer.ToShortString()))}: {e.Message}\n";
                }
            }
        }, TimeSpan.FromMinutes(3));
        return (retrievable, replicated, net.Nodes[owner].ShardExchange.Metrics.RepairsFinished, viaProviders, detail + net.Nodes[owner].ShardExchange.Metrics.ToJson().ToJsonString(), lost);
    }
}
