using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Files;
using Overlay.Node.Tests.Composition;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Files;

/// <summary>Files between whole nodes on the in-memory network: stored through one node's shard owner, fetched by another.</summary>
public sealed class WholeNodeFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-node-files").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Store_OnOneNode_ThenFetchFromAnother_AfterMHoldersOfAStripeStopped_IsByteIdentical()
    {
        // Probation off: the storing node's own copies, served like any holder's, would stand in for the stopped holders.
        using var net = new WholeNodeTestNetwork(18, seed: 19, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 },
            shardExchange: _ => new ShardExchangeOptions { ProbationPeriod = TimeSpan.Zero });
        var options = new FilesOptions { ChunkBytes = 64 << 10, DataShards = 10, ParityShards = 4 };
        var data = new byte[300_000];
        new Random(20).NextBytes(data);
        var output = Path.Combine(_root, "back.bin");
        var stopped = new List<int>();
        TransferProgress? fetched = null;
        int distinctPerStripe = 0;
        net.Net.Run(async () =>
        {
            using var storer = Files(net, 0, options);
            using var input = new MemoryStream(data);
            var stored = await storer.Storer().StoreAsync(input, new StoreRequest("back.bin"), new TransferProgress(), CancellationToken.None);
            var manifest = stored.Manifest;
            var owner = net.Nodes[0].ShardExchange.Owner!;
            distinctPerStripe = Enumerable.Range(0, 14).Select(i => owner.Status(manifest.Shard(0, i))!.Holders[0].Peer).Distinct().Count();

            // The holders of data shards 0-3 of stripe 0 stop: that stripe must be rebuilt from parity, and no
            // stripe loses more than 4 shards, as each stripe's shards are on distinct holders.
            foreach (var i in Enumerable.Range(0, 4))
            {
                var holder = owner.Status(manifest.Shard(0, i))!.Holders[0].Peer;
                var index = Array.FindIndex(net.Nodes, n => n.Id == holder);
                stopped.Add(index);
                await net.Nodes[index].StopAsync(CancellationToken.None);
            }

            var fetcher = Enumerable.Range(1, 17).First(i => !stopped.Contains(i));
            using var files = Files(net, fetcher, options);
            fetched = new TransferProgress();
            await files.Fetcher().FetchAsync(stored.ContentId, output, null, fetched, CancellationToken.None);
        }, TimeSpan.FromMinutes(2));

        Assert.Equal(14, distinctPerStripe);
        Assert.Equal(4, stopped.Distinct().Count());
        Assert.Equal(data, File.ReadAllBytes(output));
        // Stripe 0's four data shards could not come from their holders: parity stood in for them, each fetch from a stopped
        // holder either failed or (a dial to a host that is gone waits out the handshake timeout) was overtaken by a hedge.
        Assert.True(fetched!.ShardsFailed + fetched.Hedges >= 4, $"{fetched.ShardsFailed} shard fetches failed, {fetched.Hedges} hedged");
    }

    [Fact]
    public void Store_AStripeOfRepeatedShards_SurvivesMoreThanMOfItsHoldersStopping()
    {
        // Stripe 0 is all zeros: its 14 shards are one id. Held by one peer, that peer alone would take the
        // whole stripe down; held by as many peers as it has positions, it survives m + 1 of them stopping.
        // Stripe 1 holds random bytes on its own holders; the stopped peers are chosen among the zero id's
        // holders so that stripe 1 keeps enough shards, or the file would be lost for stripe 1's sake.
        using var net = new WholeNodeTestNetwork(18, seed: 29, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 });
        var options = new FilesOptions { ChunkBytes = 64 << 10, DataShards = 10, ParityShards = 4 };
        var data = new byte[100_000];
        new Random(30).NextBytes(data.AsSpan(64 << 10));
        var output = Path.Combine(_root, "sparse.bin");
        var zeroHolders = 0;
        var stopped = new List<PeerId>();
        var stripeOneLive = 0;
        net.Net.Run(async () =>
        {
            using var storer = Files(net, 0, options);
            using var input = new MemoryStream(data);
            var stored = await storer.Storer().StoreAsync(input, new StoreRequest("sparse.bin"), new TransferProgress(), CancellationToken.None);
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var holders = owner.Status(stored.Manifest.Shard(0, 0))!.Holders.Select(h => h.Peer).ToList();
            zeroHolders = holders.Count;
            var stripeOne = Enumerable.Range(0, stored.Manifest.ShardsPerStripe)
                .Select(i => owner.Status(stored.Manifest.Shard(1, i))!.Holders.Select(h => h.Peer).ToList())
                .ToList();

            // Those holding no shard of stripe 1 first, then the rest in holder order (deterministic).
            foreach (var holder in holders.OrderBy(h => stripeOne.Count(s => s.Contains(h))).Take(options.ParityShards + 1))
            {
                await net.Nodes[Array.FindIndex(net.Nodes, n => n.Id == holder)].StopAsync(CancellationToken.None);
                stopped.Add(holder);
            }

            stripeOneLive = stripeOne.Count(s => s.Any(h => !stopped.Contains(h)));
            var fetcher = Enumerable.Range(1, 17).First(i => !stopped.Contains(net.Nodes[i].Id));
            using var files = Files(net, fetcher, options);
            await files.Fetcher().FetchAsync(stored.ContentId, output, null, new TransferProgress(), CancellationToken.None);
        }, TimeSpan.FromMinutes(2));

        Assert.Equal(14, zeroHolders);
        Assert.Equal(5, stopped.Count);
        Assert.True(stripeOneLive >= options.DataShards, $"stripe 1 kept {stripeOneLive} shards: the test stopped too many of its holders");
        Assert.Equal(data, File.ReadAllBytes(output));
    }

    [Fact]
    public void Fetch_OnANetworkWithFarNodes_AsksTheNearHoldersFirst_AndEndsSoonerThanInShardOrder()
    {
        // Nodes 1–4 sit 150 ms away (one way) from everyone, the rest 5 ms from each other.
        var far = new HashSet<int> { 1, 2, 3, 4 };
        // Probation off: with the storing node's own copies on probation node 0 reads every shard from its own store, and
        // neither asks the holders nor measures their round trips.
        using var net = new WholeNodeTestNetwork(18, seed: 23, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 },
            shardExchange: _ => new ShardExchangeOptions { ProbationPeriod = TimeSpan.Zero },
            latency: new TwoDistances(far, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(150)));
        var options = new FilesOptions { ChunkBytes = 64 << 10, DataShards = 10, ParityShards = 4 };
        var data = new byte[300_000];
        new Random(24).NextBytes(data);
        var farPeers = far.Select(i => net.Nodes[i].Id).ToHashSet();
        var rtts = new Dictionary<Overlay.Crypto.PeerId, double>();
        var asked = new Dictionary<bool, List<Overlay.Crypto.PeerId>>();
        var took = new Dictionary<bool, TimeSpan>();
        net.Net.Run(async () =>
        {
            using var files = Files(net, 0, options, () => HolderRanking.RoundTripsOf(net.Dht(0).SnapshotContacts()));
            using var input = new MemoryStream(data);
            var stored = await files.Storer().StoreAsync(input, new StoreRequest("far.bin"), new TransferProgress(), CancellationToken.None);
            // A first fetch is the DHT traffic (provider lookups) from which node 0 measures its contacts' round trips.
            var warm = files.Fetcher();
            await warm.FetchAsync(stored.ContentId, Path.Combine(_root, "warm.bin"), null, new TransferProgress(), CancellationToken.None);
            foreach (var (peer, rtt) in HolderRanking.RoundTripsOf(net.Dht(0).SnapshotContacts()))
            {
                rtts[peer] = rtt;
            }

            foreach (var ranked in new[] { true, false })
            {
                var owner = net.Nodes[0].ShardExchange.Owner!;
                var source = new HolderRecorder(new OwnerShardSource(owner, rtts), owner);
                var fetcher = new FileFetcher(source, new StripeFetcher(source, net.Clock, options.HedgeAfter, files.Metrics, NullLogger.Instance) { RankByRoundTrip = ranked },
                    options, files.Metrics, NullLogger.Instance, MemoryPartialFile.Opener());
                var started = net.Clock.GetTimestamp();
                await fetcher.FetchAsync(stored.ContentId, Path.Combine(_root, $"far-{ranked}.bin"), null, new TransferProgress(), CancellationToken.None);
                took[ranked] = net.Clock.GetElapsedTime(started);
                asked[ranked] = source.Asked;
            }
        }, TimeSpan.FromMinutes(2));

        // The ranking worked from measurements: every far node measured, and farther than every near one.
        Assert.All(farPeers, p => Assert.True(rtts.ContainsKey(p), "a far node's round trip was not measured"));
        Assert.True(farPeers.Min(p => rtts[p]) > rtts.Where(r => !farPeers.Contains(r.Key)).Max(r => r.Value));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_root, "far-True.bin")));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_root, "far-False.bin")));
        // Ranked, no shard is asked of a far holder (each stripe has at least k near ones); in shard order some are.
        Assert.DoesNotContain(asked[true], farPeers.Contains);
        Assert.Contains(asked[false], farPeers.Contains);
        Assert.True(took[true] < took[false], $"ranked {took[true]}, in order {took[false]}");
    }

    private FileService Files(WholeNodeTestNetwork net, int index, FilesOptions options, Func<IReadOnlyDictionary<Overlay.Crypto.PeerId, double>>? roundTrips = null) =>
        new(net.Nodes[index].ShardExchange, net.Identities[index], options, Path.Combine(_root, "content-" + index), net.Clock, net.Meters,
            NullLogger.Instance, MemoryPartialFile.Opener(), roundTrips);

    /// <summary>Links touching a far node take <paramref name="farDelay"/> each way, the others <paramref name="nearDelay"/>.</summary>
    private sealed class TwoDistances(HashSet<int> far, TimeSpan nearDelay, TimeSpan farDelay) : ILatencyModel
    {
        public LinkProfile GetLink(int from, int to) => new(far.Contains(from) || far.Contains(to) ? farDelay : nearDelay);
    }

    /// <summary>Records the holder (each file shard has one, in the owner's book) of every shard fetched.</summary>
    private sealed class HolderRecorder(IShardSource inner, Overlay.Node.Shards.ShardOwner owner) : IShardSource
    {
        public List<Overlay.Crypto.PeerId> Asked { get; } = [];

        public Task<byte[]> FetchAsync(Overlay.Storage.ShardId id, CancellationToken cancellationToken)
        {
            Record(id);
            return inner.FetchAsync(id, cancellationToken);
        }

        public Task<ShardLocation> LocateAsync(Overlay.Storage.ShardId id, CancellationToken cancellationToken) => inner.LocateAsync(id, cancellationToken);

        public Task<byte[]> FetchAsync(ShardLocation location, CancellationToken cancellationToken)
        {
            Record(location.Id);
            return inner.FetchAsync(location, cancellationToken);
        }

        private void Record(Overlay.Storage.ShardId id)
        {
            if (owner.Status(id) is { Holders.Count: > 0 } shard)
            {
                Asked.Add(shard.Holders[0].Peer);
            }
        }
    }
}
