namespace Overlay.Dht.Tests;

public sealed class RttWindowBoundTests
{
    [Fact]
    public void TrimIdleState_AfterFormation_KeepsRttWindowsOnlyForPeersTheTableHolds()
    {
        // Small buckets, so that joining measures many more peers than the tables can hold.
        var options = DhtTestNetwork.DefaultOptions();
        options.K = 4;
        options.MaxContactsPerGroupPerBucket = 4;
        options.ReplacementCacheSize = 1;
        using var net = new DhtTestNetwork(60, seed: 17, SharedLatency.PlanetLab, options);
        net.Form(concurrency: 8);

        var before = net.Nodes.Select(n => n.Census()).ToArray();
        Assert.Contains(before, c => c.FilteredPeers > c.Contacts + c.ReplacementEntries);

        var forgotten = 0;
        foreach (var node in net.Nodes)
        {
            node.TrimIdleState(net.Clock.GetUtcNow());
            var after = node.Census();
            Assert.True(after.FilteredPeers <= after.Contacts + after.ReplacementEntries, $"{after.FilteredPeers} windows for {after.Contacts} contacts and {after.ReplacementEntries} cached");
            forgotten += before[net.Nodes.IndexOf(node)].FilteredPeers - after.FilteredPeers;
        }

        Assert.True(forgotten > 0);
    }

    [Fact]
    public void TrimIdleState_KeptWindows_StillGiveTheMeasuredRtt()
    {
        var options = DhtTestNetwork.DefaultOptions();
        using var net = new DhtTestNetwork(30, seed: 19, SharedLatency.PlanetLab, options);
        net.Form(concurrency: 8);
        var node = net.Nodes[5];
        var contacts = node.SnapshotContacts().Select(c => c.Id).ToArray();
        var measured = contacts.Where(id => !double.IsNaN(node.MeasuredRttOf(id))).ToArray();
        Assert.NotEmpty(measured);
        var rtts = measured.Select(node.MeasuredRttOf).ToArray();

        node.TrimIdleState(net.Clock.GetUtcNow());

        Assert.Equal(rtts, measured.Select(node.MeasuredRttOf).ToArray());
    }
}
