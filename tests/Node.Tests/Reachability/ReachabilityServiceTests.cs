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
}
