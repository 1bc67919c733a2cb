namespace Overlay.Dht.Tests;

/// <summary>
/// Connections kept open to routing-table contacts (<see cref="DhtOptions.WarmConnections"/>): real nodes on
/// the in-memory network, the keeping round run once a minute as maintenance runs it.
/// </summary>
public sealed class WarmContactsTests
{
    [Fact]
    public void KeepConnectionsWarm_OverTwiceTheIdleTimeout_KeepsExactlyTheBoundedNumberOpen_AndNoneWithoutIt()
    {
        var open = new Dictionary<int, int>();
        var pinged = new Dictionary<int, int>();
        foreach (var warm in new[] { 6, 0 })
        {
            var options = DhtTestNetwork.DefaultOptions();
            options.WarmConnections = warm;
            using var net = new DhtTestNetwork(40, seed: 5, SharedLatency.PlanetLab, options);
            net.Form();
            var node = net.Nodes[7];
            Assert.True(node.ContactCount > warm);
            var idle = DhtTestNetwork.TransportOptions.IdleTimeout * 2;
            var pings = 0;
            net.Net.Run(async () =>
            {
                for (var elapsed = TimeSpan.Zero; elapsed < idle; elapsed += TimeSpan.FromMinutes(1))
                {
                    pings += await node.KeepConnectionsWarmAsync(CancellationToken.None);
                    await Task.Delay(TimeSpan.FromMinutes(1), net.Clock);
                }
            }, TimeSpan.FromMinutes(2));

            open[warm] = net.Transports[7].ConnectionCount;
            pinged[warm] = pings;
        }

        // Every other connection of the node was swept as idle; the kept ones stayed open, and each was
        // pinged only when quiet for WarmContactPing (5 min): at most once per 5 minutes over 20 minutes.
        Assert.Equal(6, open[6]);
        Assert.InRange(pinged[6], 6, 6 * 5);
        Assert.Equal(0, open[0]);
        Assert.Equal(0, pinged[0]);
    }
}
