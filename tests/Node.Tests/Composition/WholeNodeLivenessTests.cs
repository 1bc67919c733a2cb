using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// How the owner's maintenance learns that a holder is gone, in whole nodes on virtual time: from the connection the
/// holder last answered over (closed: probed at once), not from probing every holder every round. Four nodes, so every
/// shard the owner places goes to the same three holders.
/// </summary>
public sealed class WholeNodeLivenessTests
{
    private const int ShardBytes = 16 * 1024;

    private static readonly DhtOptions Dht = new() { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 };

    [Fact]
    public void Maintenance_AHolderWhoseConnectionDrops_IsSuspectedAtOnceNotAtTheNextProbeRound()
    {
        // Probe rounds every 10 s; the holder is killed about halfway between two. Probing alone would notice it some 5 s
        // later; the closed connection gets it probed one link delay after the kill, and the dial fails at once: the holder's
        // process crashed on a host that is up, which refuses the dial (a host that is gone would cost the handshake timeout).
        var exchange = new ShardExchangeOptions { RepairEnabled = false, ProbeInterval = TimeSpan.FromSeconds(10), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(4, seed: 41, Dht, shardExchange: _ => exchange);
        net.Net.DeadHostDialDelay = TimeSpan.Zero;
        long suspectedWithinASecond = -1, suspectedLater = -1;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(Data(41), CancellationToken.None);
            // Past two rounds, then halfway into the next interval.
            var sinceStart = net.Clock.Elapsed;
            await Task.Delay(RoundBoundaryAfter(sinceStart, exchange.ProbeInterval, rounds: 2) - sinceStart + TimeSpan.FromSeconds(5), net.Clock);
            var victim = put.Holders[0].Peer;
            net.Transports[Array.FindIndex(net.Nodes, n => n.Id == victim)].Kill();
            await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
            suspectedWithinASecond = net.Nodes[0].ShardExchange.Metrics.SuspectsFor(SuspectReason.NotAnswering);
            await Task.Delay(TimeSpan.FromSeconds(10), net.Clock);
            suspectedLater = net.Nodes[0].ShardExchange.Metrics.SuspectsFor(SuspectReason.NotAnswering);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(1, suspectedWithinASecond);
        Assert.Equal(1, suspectedLater);
    }

    [Fact]
    public void Maintenance_HoldersAnsweringOverOpenConnections_AreProbedOncePerPresenceIntervalNotEveryRound()
    {
        // Rounds every second for two quiet minutes: three holders probed every round would be 360 probes.
        var exchange = new ShardExchangeOptions { RepairEnabled = false, ProbeInterval = TimeSpan.FromSeconds(1), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(4, seed: 42, Dht, shardExchange: _ => exchange);
        long probes = 0;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            await owner.PutAsync(Data(42), CancellationToken.None);
            await owner.PutAsync(Data(43), CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(5), net.Clock);
            var before = net.Nodes[0].ShardExchange.Metrics.ProbesSent;
            await Task.Delay(TimeSpan.FromMinutes(2), net.Clock);
            probes = net.Nodes[0].ShardExchange.Metrics.ProbesSent - before;
        }, TimeSpan.FromMinutes(1));

        // Each holder once per 30 s presence interval: four times in two minutes, give or take the rounding of a round.
        Assert.InRange(probes, 3 * 3, 3 * 5);
        Assert.Equal(0, net.Nodes[0].ShardExchange.Metrics.SuspectsFor(SuspectReason.NotAnswering));
    }

    [Fact]
    public void Maintenance_AHolderCutOffWithItsConnectionOpen_IsSuspectedOnceTheLinkIsFoundDead()
    {
        // The holder is partitioned away: nothing closes the connection until something crosses it. With a presence
        // interval of ten minutes only the transport's keep-alive (a ping after 10 s of silence) finds the link dead;
        // the owner then probes at once, and the dial gives up after the handshake timeout (5 s).
        var exchange = new ShardExchangeOptions { RepairEnabled = false, ProbeInterval = TimeSpan.FromSeconds(1), PresenceInterval = TimeSpan.FromMinutes(10), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(4, seed: 44, Dht, shardExchange: _ => exchange);
        var suspectedAt = TimeSpan.Zero;
        var cutAt = TimeSpan.Zero;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(Data(44), CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(5), net.Clock);
            var victim = Array.FindIndex(net.Nodes, n => n.Id == put.Holders[0].Peer);
            cutAt = net.Clock.Elapsed;
            net.Net.Partition([net.Transports[victim]]);
            for (var i = 0; i < 60 && suspectedAt == TimeSpan.Zero; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(0.5), net.Clock);
                if (net.Nodes[0].ShardExchange.Metrics.SuspectsFor(SuspectReason.NotAnswering) > 0)
                {
                    suspectedAt = net.Clock.Elapsed;
                }
            }
        }, TimeSpan.FromMinutes(1));

        Assert.NotEqual(TimeSpan.Zero, suspectedAt);
        var after = suspectedAt - cutAt;
        Assert.True(after <= TimeSpan.FromSeconds(3 * 10 + 5 + 1), $"suspected {after} after the cut");
    }

    [Fact]
    public void Maintenance_AHolderThatAnswersAgainAfterItsConnectionClosed_IsWatchedAgainAndNotSuspected()
    {
        // The owner's side of the connection is closed (as an idle sweep would): the holder is probed at once, answers over
        // a new connection, and is no suspect.
        var exchange = new ShardExchangeOptions { ProbeInterval = TimeSpan.FromSeconds(1), StreamTimeout = TimeSpan.FromSeconds(10) };
        using var net = new WholeNodeTestNetwork(4, seed: 45, Dht, shardExchange: _ => exchange);
        long onClose = 0, watched = 0;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var put = await owner.PutAsync(Data(45), CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(5), net.Clock);
            Assert.True(net.Nodes[0].Transport.Pool.TryGet(put.Holders[0].Peer, out var connection));
            await connection.CloseAsync();
            await Task.Delay(TimeSpan.FromSeconds(2), net.Clock);
            onClose = net.Nodes[0].ShardExchange.Metrics.ProbesOnClose;
            watched = net.Nodes[0].ShardMaintenance.Liveness!.Watched;
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(1, onClose);
        Assert.Equal(3, watched);
        var metrics = net.Nodes[0].ShardExchange.Metrics;
        Assert.Equal(0, metrics.SuspectsFor(SuspectReason.NotAnswering));
        Assert.Equal(0, metrics.RepairsStarted);
    }

    private static byte[] Data(int seed)
    {
        var data = new byte[ShardBytes];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The first probe-round boundary at least <paramref name="rounds"/> rounds after <paramref name="elapsed"/> (rounds tick from time zero of the node's start, close enough at these sizes).</summary>
    private static TimeSpan RoundBoundaryAfter(TimeSpan elapsed, TimeSpan interval, int rounds) =>
        TimeSpan.FromTicks(((elapsed.Ticks / interval.Ticks) + rounds) * interval.Ticks);
}
