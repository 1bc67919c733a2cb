using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;

namespace Overlay.Dht.Tests.Persistence;

/// <summary>
/// A whole network stops, saves its state to dht.db files and starts again on a fresh in-memory network
/// with the same identities and addresses, its bootstrap node gone.
/// </summary>
public sealed class DhtRestartTests : IDisposable
{
    private const int Nodes = 30;
    private const int Seed = 41;
    private const int Provider = 3;
    private const int Publisher = 4;
    private const int Asker = 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-dhtrestart").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Restart_WithEverySeedGone_RejoinsFromSavedContacts_AndServesSavedProvidersWithoutReannouncing()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.RepublishInterval = TimeSpan.FromMinutes(30);
        var random = new Random(42);
        var key = PeerId.Random(random);
        var valueKey = PeerId.Random(random);
        long announcedExpiry;
        TimeSpan stoppedAt;
        using (var before = new DhtTestNetwork(Nodes, Seed, SharedLatency.PlanetLab, options))
        {
            before.Form(concurrency: 8);
            before.Net.Run(async () =>
            {
                Assert.True(await before.Nodes[Provider].AddProviderAsync(key, CancellationToken.None) >= options.K - 1);
                Assert.True(await before.Nodes[Publisher].PutAsync(valueKey, "kept"u8.ToArray(), CancellationToken.None) >= options.K - 1);
            });
            var own = Assert.Single(before.Nodes[Provider].SnapshotProviders());
            Assert.True(own.AnnouncedLocally);
            announcedExpiry = own.Record.ExpiresUnixMs;
            for (var i = 0; i < Nodes; i++)
            {
                var node = before.Nodes[i];
                Store(i).Save(new DhtSnapshot(node.SnapshotContacts(), node.SnapshotRecords(), node.SnapshotProviders()));
            }

            stoppedAt = before.Clock.Elapsed;
        }

        // Same seed: same identities, same in-memory addresses. Node 0, the only seed, never comes back.
        using var after = new DhtTestNetwork(Nodes, Seed, SharedLatency.PlanetLab, options);
        after.Clock.AdvanceTo(stoppedAt + TimeSpan.FromMinutes(5));
        after.Kill(0);
        var heldProviders = 0;
        after.Net.Run(async () =>
        {
            for (var i = 1; i < Nodes; i++)
            {
                var node = after.Nodes[i];
                await node.StartAsync(after.Transports[i].Host, CancellationToken.None);
                var loaded = Store(i).Load(after.Clock.GetUtcNow());
                Assert.Empty(loaded.Problems);
                Assert.True(node.RestoreContacts(loaded.Snapshot.Contacts) > 0);
                foreach (var r in loaded.Snapshot.Records)
                {
                    Assert.Equal(RecordRejection.None, node.RestoreRecord(r));
                }

                foreach (var p in loaded.Snapshot.Providers)
                {
                    Assert.Equal(RecordRejection.None, node.RestoreProvider(p));
                    heldProviders += p.AnnouncedLocally ? 0 : 1;
                }
            }

            var joins = new List<Task<int>>();
            for (var i = 1; i < Nodes; i++)
            {
                joins.Add(after.Nodes[i].BootstrapAsync([], CancellationToken.None));
            }

            await Task.WhenAll(joins);
        });
        Assert.True(heldProviders >= options.K - 1, $"only {heldProviders} holders saved the provider record");

        // Found from the holders' saved copies: the expiry is the one announced before the stop, so the
        // provider has not announced again.
        IReadOnlyList<ProviderRecord>? found = null;
        DhtRecord? value = null;
        after.Net.Run(async () =>
        {
            found = await after.Nodes[Asker].GetProvidersAsync(key, CancellationToken.None);
            value = await after.Nodes[Asker].GetAsync(valueKey, CancellationToken.None);
        });
        var record = Assert.Single(found!);
        Assert.Equal(after.Nodes[Provider].Id, record.Provider);
        Assert.Equal(announcedExpiry, record.ExpiresUnixMs);
        Assert.NotNull(value);

        // The provider remembered its own announcement and repeats it once it is due.
        after.Net.Run(async () =>
        {
            await Task.Delay(options.RepublishInterval, after.Clock);
            Assert.True(await after.Nodes[Provider].RunMaintenanceOnceAsync(CancellationToken.None) >= 1);
            found = await after.Nodes[Asker].GetProvidersAsync(key, CancellationToken.None);
        });
        Assert.True(Assert.Single(found!).ExpiresUnixMs > announcedExpiry, "the provider did not announce again after the restart");
    }

    private SqliteDhtStateStore Store(int node)
    {
        var dir = Path.Combine(_dir, node.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        return new SqliteDhtStateStore(Path.Combine(dir, SqliteDhtStateStore.FileName), new DhtOptions(), maxContacts: 1000);
    }
}
