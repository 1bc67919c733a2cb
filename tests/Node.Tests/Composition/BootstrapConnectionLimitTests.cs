using System.Globalization;
using Overlay.Dht;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// Every node of a network bootstraps through the same few peers. A bootstrap peer at its connection limit
/// closes its least recently used idle connection for each new one; nodes that redialled their bootstrap
/// peer whenever that connection closed would make it close another node's, which redials in turn,
/// without end (at 10,000 simulated nodes against the default limit of 1,000, formation stalled in it).
/// </summary>
public sealed class BootstrapConnectionLimitTests
{
    private const int Nodes = 16;
    private const int BootstrapLimit = 4;

    [Fact]
    public void ABootstrapPeerAtItsConnectionLimit_IsNotRedialledByTheNodesWhoseConnectionsItClosed()
    {
        using var net = new WholeNodeTestNetwork(
            Nodes, seed: 5, new DhtOptions(), transportOf: i => i == 0 ? o => (o.MaxConnections, o.MaxConnectionsPerAddress) = (BootstrapLimit, BootstrapLimit) : null);
        Assert.Equal(Nodes - 1, net.Joined);
        var bootstrap = net.Transports[0].Index;
        var from = net.Net.EventLog.Count;

        // Ten quiet minutes after formation: the maintenance rounds run, nothing else is asked of anyone.
        net.Net.Run(async () => await Task.Delay(TimeSpan.FromMinutes(10), net.Clock), TimeSpan.FromMinutes(1));

        var closes = 0;
        var events = net.Net.EventLog;
        for (var i = from; i < events.Count; i++)
        {
            // "{ticks} {from}->{to} {kind} {bytes}": a Fin or Reset on one of the bootstrap peer's connections.
            var parts = events[i].Split(' ');
            var ends = parts[1].Split("->");
            var touchesBootstrap = int.Parse(ends[0], CultureInfo.InvariantCulture) == bootstrap || int.Parse(ends[1], CultureInfo.InvariantCulture) == bootstrap;
            closes += touchesBootstrap && parts[2] is "Fin" or "Reset" ? 1 : 0;
        }

        // Each node's connection to the bootstrap peer may be closed once or twice (by the limit, or as
        // idle); a redial loop closes thousands in ten minutes.
        Assert.True(closes <= 4 * Nodes, $"{closes} connection ends closed at the bootstrap peer in 10 quiet minutes");
        for (var i = 1; i < Nodes; i++)
        {
            Assert.True(net.Dht(i).ContactCount >= BootstrapLimit, $"node {i} has {net.Dht(i).ContactCount} contacts");
        }
    }
}
