using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Doctor;
using Overlay.Node.Hosting;
using Overlay.Node.Reachability;
using Overlay.Node.Tests.Composition;
using Overlay.Node.Tests.Doctor;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Reachability;

/// <summary>
/// Whole nodes on the in-memory network checking their own reachability: a node that announces an address no
/// peer can dial runs as a DHT client (peers keep it out of their routing tables) and doctor says so, while
/// the others stay servers.
/// </summary>
public sealed class ReachabilityServiceTests
{
    private const int Nodes = 4;
    private const int Hidden = 3;
    private static readonly DhtOptions Dht = new() { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 };

    [Fact]
    public void Check_AddressNoPeerCanDial_RunsAsDhtClient_AndPeersKeepItOutOfTheirTables()
    {
        // Node 3 announces a port nothing listens on (its host is 10.0.0.3 on the in-memory network): a NAT without a forward.
        using var net = new WholeNodeTestNetwork(Nodes, seed: 31, Dht, dhtHostOf: i => i == Hidden
            ? new DhtHostOptions { AnnounceAddress = "mem://10.0.0.3:65000" }
            : new DhtHostOptions());
        Assert.Equal(Nodes - 1, net.Joined);
        OverlayNode? late = null;
        net.Net.Run(async () =>
        {
            // The first check follows the join; run past it.
            await Task.Delay(TimeSpan.FromSeconds(30), net.Clock);
            var hidden = net.Nodes[Hidden].Reachability.Last;
            Assert.Equal(ReachabilityVerdict.Unreachable, hidden.Verdict);
            Assert.False(hidden.DhtServer);
            Assert.Null(net.Dht(Hidden).Address);
            Assert.All(hidden.Probes, p => Assert.Equal(TransportError.PeerUnreachable, p.Answer!.DialError));
            for (var i = 1; i < Nodes; i++)
            {
                if (i != Hidden)
                {
                    Assert.Equal(ReachabilityVerdict.Reachable, net.Nodes[i].Reachability.Last.Verdict);
                    Assert.True(net.Nodes[i].Reachability.Last.DhtServer);
                }
            }

            // A node that joins now hears from the client and from a server alike; only the server enters its table.
            late = NodeComposition.Build(InMemoryNodeParts.Create(
                net.Net, new NodeIdentityHolder(NodeIdentity.FromRandom(new Random(99)), createdThisStart: false), 99_000,
                net.Nodes[0].Transport.LocalAddresses[0].ToString(), _ => { }, Dht, net.Meters, NullLoggerFactory.Instance));
            await late.StartAsync(CancellationToken.None);
            await late.Dht.WhenJoined;
            var lateAddress = late.Transport.LocalAddresses[0];
            await net.Dht(Hidden).BootstrapAsync([lateAddress], CancellationToken.None);
            await net.Dht(1).BootstrapAsync([lateAddress], CancellationToken.None);
            Assert.Equal(-1, late.Dht.Node!.FailuresOf(net.Nodes[Hidden].Id));
            Assert.True(late.Dht.Node!.FailuresOf(net.Nodes[1].Id) >= 0, "a server that sent a request is in the table");

            // The same request with an address (the node announcing its real listen address) does put it in the table.
            net.Dht(Hidden).SetAnnouncedAddress(net.Nodes[Hidden].Transport.LocalAddresses[0]);
            await net.Dht(Hidden).BootstrapAsync([lateAddress], CancellationToken.None);
            Assert.True(late.Dht.Node!.FailuresOf(net.Nodes[Hidden].Id) >= 0, "announcing, the node enters the table");
            net.Dht(Hidden).SetAnnouncedAddress(null);

            // Doctor reads what the node reports: reachability fails, the DHT mode warns, and so does a table under 8 contacts.
            var json = JsonNode.Parse(net.Nodes[Hidden].Reachability.ToJson(hidden).ToJsonString())!.AsObject();
            var checks = (await NetworkChecksTests.Json(
                NetworkChecks.Reachability(json["reachability"] as JsonObject),
                NetworkChecks.Nat(json["reachability"] as JsonObject),
                NetworkChecks.Skew(NetworkChecks.SkewOf(json["clock"]), TimeSpan.FromSeconds(5), "test"),
                NetworkChecks.RoutingTable(json["routing"]))).ToDictionary(c => c.Name);
            Assert.Equal("failed", checks["reachability"].Verdict);
            Assert.Contains("mem://10.0.0.3:65000", checks["reachability"].Detail, StringComparison.Ordinal);
            Assert.Contains("PeerUnreachable", checks["reachability"].Detail, StringComparison.Ordinal);
            Assert.Equal("warning", checks["nat"].Verdict);
            Assert.Contains("DHT client", checks["nat"].Detail, StringComparison.Ordinal);
            Assert.Equal("ok", checks["clock-skew"].Verdict);
            Assert.Equal("warning", checks["routing-table"].Verdict);
            Assert.All(checks.Values.Where(c => c.Verdict is "warning" or "failed"), c => Assert.False(string.IsNullOrWhiteSpace(c.Fix)));

            await late.StopAsync(CancellationToken.None);
            for (var i = Nodes - 1; i >= 0; i--)
            {
                await net.Nodes[i].StopAsync(CancellationToken.None);
            }
        }, TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void Check_WhenTheAddressBecomesDialable_RunsAsServerAgain()
    {
        // Node 3 announces port 7, where nothing of its own listens at first (a router without the forward).
        using var net = new WholeNodeTestNetwork(Nodes, seed: 32, Dht, dhtHostOf: i => i == Hidden
            ? new DhtHostOptions { AnnounceAddress = "mem://10.0.0.3:7", ReachabilityInterval = TimeSpan.FromMinutes(5) }
            : new DhtHostOptions());
        net.Net.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), net.Clock);
            Assert.False(net.Nodes[Hidden].Reachability.Last.DhtServer);

            // The operator forwards the port: something of this node's now answers there.
            var forwarded = await net.Transports[Hidden].ListenAsync(TransportAddress.Parse("mem://10.0.0.3:7"));
            _ = forwarded.DrainAcceptedAsync();
            await Task.Delay(TimeSpan.FromMinutes(5), net.Clock);
            var report = net.Nodes[Hidden].Reachability.Last;
            Assert.Equal(ReachabilityVerdict.Reachable, report.Verdict);
            Assert.True(report.DhtServer);
            Assert.Equal("mem://10.0.0.3:7", net.Dht(Hidden).Address);
            for (var i = Nodes - 1; i >= 0; i--)
            {
                await net.Nodes[i].StopAsync(CancellationToken.None);
            }
        }, TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void Run_FirstCheckUndecidedWhilePeersStillStart_RetriesAfterAMinuteThenTwo_AndFindsTheNodeUnreachable()
    {
        // Node 0 runs, but its reach/1 is not started yet: it answers "unavailable, try later", as a peer still starting does.
        using var net = new WholeNodeTestNetwork(1, seed: 33, Dht);
        var seed = net.Nodes[0];
        OverlayNode? hidden = null;
        net.Net.Run(async () =>
        {
            await seed.Reachability.StopAsync(CancellationToken.None);

            // The node joins through it and announces a port nothing listens on (its host is 10.0.0.1, the second node).
            hidden = NodeComposition.Build(InMemoryNodeParts.Create(
                net.Net, new NodeIdentityHolder(NodeIdentity.FromRandom(new Random(33_001)), createdThisStart: false), 33_001,
                seed.Transport.LocalAddresses[0].ToString(), _ => { }, Dht, net.Meters, NullLoggerFactory.Instance,
                dhtHost: new DhtHostOptions { AnnounceAddress = "mem://10.0.0.1:65000" }));
            await hidden.StartAsync(CancellationToken.None);
            await hidden.Dht.WhenJoined;
            await Task.Delay(TimeSpan.FromSeconds(10), net.Clock);

            // The check after the join: nobody gave a verdict, so the node stays a DHT server and says "unknown".
            var first = hidden.Reachability.Last;
            Assert.Equal(ReachabilityVerdict.Unknown, first.Verdict);
            Assert.True(first.DhtServer);
            var probe = Assert.Single(first.Probes);
            Assert.Null(probe.Answer);
            Assert.Contains(nameof(TransportError.Unavailable), probe.Failure, StringComparison.Ordinal);

            // Retried one minute after it (not one ReachabilityInterval, 30 min): still undecided.
            await DelayUntil(first.CheckedAt!.Value + ReachabilityService.UndecidedRetry - TimeSpan.FromTicks(1));
            Assert.Equal(first.CheckedAt, hidden.Reachability.Last.CheckedAt);
            await Task.Delay(TimeSpan.FromSeconds(5), net.Clock);
            var second = hidden.Reachability.Last;
            Assert.NotEqual(first.CheckedAt, second.CheckedAt);
            Assert.Equal(ReachabilityVerdict.Unknown, second.Verdict);

            // The peer finishes starting; the next retry, two minutes after the second check, decides.
            await seed.Reachability.StartAsync(CancellationToken.None);
            await DelayUntil(second.CheckedAt!.Value + (2 * ReachabilityService.UndecidedRetry) - TimeSpan.FromTicks(1));
            Assert.Equal(second.CheckedAt, hidden.Reachability.Last.CheckedAt);
            await Task.Delay(TimeSpan.FromSeconds(5), net.Clock);
            var third = hidden.Reachability.Last;
            Assert.Equal(ReachabilityVerdict.Unreachable, third.Verdict);
            Assert.False(third.DhtServer);
            Assert.Null(hidden.Dht.Node!.Address);
            Assert.Equal(TransportError.PeerUnreachable, Assert.Single(third.Probes).Answer!.DialError);

            // Decided: the next check waits the whole interval again.
            var interval = new DhtHostOptions().ReachabilityInterval;
            await DelayUntil(third.CheckedAt!.Value + interval - TimeSpan.FromTicks(1));
            Assert.Equal(third.CheckedAt, hidden.Reachability.Last.CheckedAt);
            await Task.Delay(TimeSpan.FromSeconds(5), net.Clock);
            Assert.True(hidden.Reachability.Last.CheckedAt >= third.CheckedAt + interval, "the periodic check ran");

            await hidden.StopAsync(CancellationToken.None);
            await seed.StopAsync(CancellationToken.None);
        }, TimeSpan.FromMinutes(2));

        Task DelayUntil(DateTimeOffset at) => Task.Delay(at - net.Clock.GetUtcNow(), net.Clock);
    }
}
