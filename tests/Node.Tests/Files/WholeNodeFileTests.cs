using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Files;
using Overlay.Node.Tests.Composition;

namespace Overlay.Node.Tests.Files;

/// <summary>Files between whole nodes on the in-memory network: stored through one node's shard owner, fetched by another.</summary>
public sealed class WholeNodeFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-node-files").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Store_OnOneNode_ThenFetchFromAnother_AfterMHoldersOfAStripeStopped_IsByteIdentical()
    {
        using var net = new WholeNodeTestNetwork(18, seed: 19, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 });
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
        // Stripe 0's four data shards could not come from their holders: parity stood in for them.
        Assert.True(fetched!.ShardsFailed >= 4, $"{fetched.ShardsFailed} shard fetches failed");
    }

    private FileService Files(WholeNodeTestNetwork net, int index, FilesOptions options) =>
        new(net.Nodes[index].ShardExchange, net.Identities[index], options, Path.Combine(_root, "content-" + index), net.Clock, net.Meters,
            NullLogger.Instance, MemoryPartialFile.Opener());
}
