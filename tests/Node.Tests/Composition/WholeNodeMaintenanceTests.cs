using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Records;
using Overlay.Node.Configuration;

namespace Overlay.Node.Tests.Composition;

/// <summary>The daemon's own maintenance loop (DhtService), run by whole nodes on virtual time.</summary>
public sealed class WholeNodeMaintenanceTests
{
    [Fact]
    public void Maintenance_OnVirtualTime_RepublishesOwnRecordsAndExpiresOrphans()
    {
        var options = new DhtOptions
        {
            MaxContactsPerGroupPerBucket = 20,
            MaxContactsPerGroupInTable = 65536,
            RecordTtl = TimeSpan.FromHours(2),
            RepublishInterval = TimeSpan.FromMinutes(30),
            BucketRefreshInterval = TimeSpan.FromMinutes(30),
        };
        using var net = new WholeNodeTestNetwork(40, seed: 21, options, new DhtHostOptions { MaintenanceInterval = TimeSpan.FromMinutes(10) },
            shardExchange: _ => new ShardExchangeOptions { ReannounceInterval = TimeSpan.FromHours(1) });
        Assert.Equal(39, net.Joined);
        var random = new Random(22);
        var kept = PeerId.Random(random);
        var orphan = PeerId.Random(random);
        DhtRecord? firstCopy = null;
        DhtRecord? kept2 = null;
        DhtRecord? orphan2 = null;
        net.Net.Run(async () =>
        {
            Assert.True((await net.Dht(1).PutAsync(kept, "kept"u8.ToArray(), CancellationToken.None)).StoredOn > 0);
            Assert.True((await net.Dht(2).PutAsync(orphan, "orphan"u8.ToArray(), CancellationToken.None)).StoredOn > 0);
            firstCopy = await net.Dht(30).GetAsync(kept, CancellationToken.None);

            // The orphan's publisher leaves; everyone else keeps running its maintenance for longer than the record TTL.
            await net.Nodes[2].StopAsync(CancellationToken.None);
            await Task.Delay(options.RecordTtl + TimeSpan.FromMinutes(30), net.Clock);
            kept2 = await net.Dht(30).GetAsync(kept, CancellationToken.None);
            orphan2 = await net.Dht(31).GetAsync(orphan, CancellationToken.None);
        }, TimeSpan.FromMinutes(2));

        Assert.NotNull(firstCopy);
        Assert.NotNull(kept2);
        Assert.True(kept2.Expires > firstCopy!.Expires, "the publisher did not re-sign its record");
        Assert.True(kept2.Sequence > firstCopy.Sequence);
        Assert.Null(orphan2);
    }
}
