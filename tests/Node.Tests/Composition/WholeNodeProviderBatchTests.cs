using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Hosting;
using Overlay.Storage;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// Batched provider announcements in whole nodes on virtual time: an owner places shards at once, each holder
/// announces what it kept in signed batches, and a node that is neither owner nor holder finds every holder of
/// every shard through the batched records (each checked against its batch's signed root) and reads the shard.
/// </summary>
public sealed class WholeNodeProviderBatchTests
{
    private const int Nodes = 16;
    private const int Shards = 12;

    [Fact]
    public void Announce_ShardsPlacedTogether_AreFoundByAThirdNodeThroughBatchedProviderRecords()
    {
        using var net = new WholeNodeTestNetwork(Nodes, seed: 41, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 });
        Assert.Equal(Nodes - 1, net.Joined);
        var random = new Random(41);
        var data = Enumerable.Range(0, Shards).Select(_ =>
        {
            var bytes = new byte[4096];
            random.NextBytes(bytes);
            return bytes;
        }).ToArray();
        var found = 0;
        var read = 0;
        var largestBatch = 0;
        var unbatched = 0;
        var holds = 0;
        net.Net.Run(async () =>
        {
            var owner = net.Nodes[0].ShardExchange.Owner!;
            var outcomes = await Task.WhenAll(data.Select(d => owner.PutAsync(d, CancellationToken.None)));
            await Task.Delay(TimeSpan.FromSeconds(30), net.Clock);
            for (var s = 0; s < Shards; s++)
            {
                var holders = outcomes[s].Holders.Select(h => h.Peer).ToHashSet();
                holds += holders.Count;
                var reader = Array.FindIndex(net.Nodes, n => n.Id != net.Nodes[0].Id && !holders.Contains(n.Id));
                var records = await net.Dht(reader).GetProvidersAsync(KeyOf(outcomes[s].Id), CancellationToken.None);
                unbatched += records.Count(r => r.Batch is null);
                largestBatch = Math.Max(largestBatch, records.Select(r => r.Batch?.LeafCount ?? 0).DefaultIfEmpty().Max());
                var candidates = await new DhtShardProviders(() => net.Dht(reader)).FindAsync(outcomes[s].Id, CancellationToken.None);
                found += holders.All(h => candidates.Any(c => c.Peer == h)) ? 1 : 0;
                var (bytes, _) = await net.Nodes[reader].ShardExchange.Owner!.GetAsync(outcomes[s].Id, CancellationToken.None);
                read += bytes.AsSpan().SequenceEqual(data[s]) ? 1 : 0;
            }
        }, TimeSpan.FromMinutes(2));

        Assert.Equal(Shards, found);
        Assert.Equal(Shards, read);
        Assert.Equal(0, unbatched);
        // Shards a holder kept together went out under one signature.
        Assert.True(largestBatch > 1, $"largest batch {largestBatch}");
        // Fewer STOREs than one record per shard held, to every other node (all 15 are among the k = 20 closest).
        var stores = net.Nodes.Sum(n => n.Dht.Node!.Metrics.ProviderStoresSent);
        Assert.True(stores < holds * (Nodes - 1), $"{stores} STOREs for {holds} holds");
    }

    private static PeerId KeyOf(ShardId id)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        id.WriteTo(bytes);
        return PeerId.FromBytes(bytes);
    }
}
