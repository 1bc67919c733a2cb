using System.Net;
using Overlay.Crypto;
using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

public sealed class NetworkGroupSiteLocalTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.5.6.7")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.20")]
    [InlineData("169.254.3.4")]
    [InlineData("::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:192.168.0.9")]
    public void FromAddress_SiteLocalAddress_IsUnknownSoNoDiversityLimitApplies(string address) =>
        Assert.True(NetworkGroup.FromAddress(IPAddress.Parse(address)).IsUnknown);

    [Theory]
    [InlineData("172.15.0.1")]
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("8.8.8.8")]
    [InlineData("2001:db8::1")]
    [InlineData("fec0::1")]
    public void FromAddress_PublicAddress_IsGrouped(string address) =>
        Assert.False(NetworkGroup.FromAddress(IPAddress.Parse(address)).IsUnknown);

    [Fact]
    public void Observe_ManyNodesOnOneLoopbackHost_AllEnterTheTableWithDefaultLimits()
    {
        var options = new DhtOptions();
        var random = new Random(21);
        var table = new RoutingTable(PeerId.Random(random), options, DateTimeOffset.UnixEpoch);
        var loopback = NetworkGroup.FromAddress(IPAddress.Loopback);
        for (var i = 0; i < 3 * options.MaxContactsPerGroupInTable; i++)
        {
            table.Observe(PeerId.Random(random), loopback, DateTimeOffset.UnixEpoch);
        }

        // With the /24 limit, 127.0.0.0/24 would cap the table at MaxContactsPerGroupInTable (10).
        Assert.True(table.Count > options.MaxContactsPerGroupInTable);
    }

    [Fact]
    public void Observe_ManyNodesInOnePublicSlash24_AreCappedByTheTableLimit()
    {
        var options = new DhtOptions();
        var random = new Random(21);
        var table = new RoutingTable(PeerId.Random(random), options, DateTimeOffset.UnixEpoch);
        var subnet = NetworkGroup.FromAddress(IPAddress.Parse("198.51.100.7"));
        for (var i = 0; i < 3 * options.MaxContactsPerGroupInTable; i++)
        {
            table.Observe(PeerId.Random(random), subnet, DateTimeOffset.UnixEpoch);
        }

        Assert.True(table.Count <= options.MaxContactsPerGroupInTable);
    }
}
