using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;

namespace Overlay.Dht.Tests.Persistence;

/// <summary>
/// A whole network runs with each node saving what it keeps to its own dht.db as it keeps it, stops
/// (saving only its contacts), and starts again on a fresh in-memory network with the same identities
/// and addresses, its bootstrap node gone.
/// </summary>
public sealed class DhtRestartTests : IDisposable
{
    private const int Nodes = 30;
    private const int Seed = 41;
    private const int Provider = 3;
    private const int Publisher = 4;
    private const int Asker = 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-dhtrestart").FullName;
    private readonly Seals _seals = new();

    public void Dispose()
    {
        _seals.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Each identity's row seal, made once (its key is derived from the identity) and disposed at the end.</summary>
    private sealed class Seals : IDisposable
    {
        private readonly Dictionary<PeerId, DhtRowSeal> _made = [];

        public DhtRowSeal Add(NodeIdentity identity)
        {
            if (!_made.TryGetValue(identity.PeerId, out var seal))
            {
                seal = DhtRowSeal.FromIdentity(identity);
                _made.Add(identity.PeerId, seal);
            }

            return seal;
        }

        public void Dispose()
        {
            foreach (var seal in _made.Values)
            {
                seal.Dispose();
            }
        }
    }

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
        var stores = new List<SqliteDhtStateStore>();
        using (var before = new DhtTestNetwork(Nodes, Seed, SharedLatency.PlanetLab, options, journal: (i, identity) => Journal(i, identity, stores)))
        {
            before.Form(concurrency: 8);
            before.Net.Run(async () =>
            {
                Assert.True(await before.Nodes[Provider].AddProviderAsync(key, CancellationToken.None) >= options.K - 1);
                Assert.True((await before.Nodes[Publisher].PutAsync(valueKey, "kept"u8.ToArray(), CancellationToken.None)).StoredOn >= options.K - 1);
            });
            var own = Assert.Single(before.Nodes[Provider].SnapshotProviders());
            Assert.True(own.AnnouncedLocally);
            announcedExpiry = own.Record.ExpiresUnixMs;
            // Records and providers were saved when they were kept; stopping saves the contacts.
            for (var i = 0; i < Nodes; i++)
            {
                stores[i].Apply([DhtStateChange.SaveContacts(before.Nodes[i].SnapshotContacts())]);
                stores[i].Dispose();
            }

            stoppedAt = before.Clock.Elapsed;
        }

        // Same seed: same identities, same in-memory addresses. Node 0, the only seed, never comes back.
        var reopened = new List<SqliteDhtStateStore>();
        using var after = new DhtTestNetwork(Nodes, Seed, SharedLatency.PlanetLab, options, journal: (i, identity) => Journal(i, identity, reopened));
        after.Clock.AdvanceTo(stoppedAt + TimeSpan.FromMinutes(5));
        after.Kill(0);
        var heldProviders = 0;
        after.Net.Run(async () =>
        {
            for (var i = 1; i < Nodes; i++)
            {
                var node = after.Nodes[i];
                await node.StartAsync(after.Transports[i].Host, CancellationToken.None);
                var loaded = reopened[i].Load(after.Clock.GetUtcNow());
                Assert.Empty(loaded.Problems);
                // Every row was written and sealed by this node: none needs its signature checked again.
                Assert.All(loaded.Snapshot.Records, r => Assert.True(r.Sealed));
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
        foreach (var store in reopened)
        {
            store.Dispose();
        }
    }

    private SynchronousJournal Journal(int node, NodeIdentity identity, List<SqliteDhtStateStore> stores)
    {
        var dir = Path.Combine(_dir, node.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var store = new SqliteDhtStateStore(Path.Combine(dir, SqliteDhtStateStore.FileName), new DhtOptions(), maxContacts: 1000, _seals.Add(identity));
        stores.Add(store);
        return new SynchronousJournal(store);
    }
}
