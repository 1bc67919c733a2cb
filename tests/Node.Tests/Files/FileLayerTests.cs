using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Files;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Files;

/// <summary>The file layer over a dictionary of shards: store, fetch, lies, losses, resumption and a failing disk.</summary>
public sealed class FileLayerTests : IDisposable
{
    private static readonly NodeIdentity Owner = NodeIdentity.FromRandom(new Random(77));
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-files").FullName;
    private readonly Meter _meter = new("test.files");
    private readonly VirtualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FilesOptions _options = new() { ChunkBytes = 64 << 10, DataShards = 4, ParityShards = 2, ParallelShards = 8 };
    private readonly DictionaryShards _shards = new();

    public FileLayerTests() => Metrics = new FileMetrics(_meter);

    private FileMetrics Metrics { get; }

    public void Dispose()
    {
        _meter.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Store_ThenFetch_GivesTheFileBack_WithItsNameAndHash()
    {
        var data = Data(300_001, seed: 1);
        var stored = await StoreAsync(data, "report.pdf");

        Assert.Equal(5, stored.Manifest.StripeCount);
        Assert.Equal(data.Length, stored.Manifest.FileSize);
        var result = await Fetcher().FetchAsync(stored.ContentId, _root, null, new TransferProgress(), CancellationToken.None);

        Assert.Equal(Path.Combine(_root, "report.pdf"), result.Path);
        Assert.Equal(data, File.ReadAllBytes(result.Path));
        Assert.False(File.Exists(result.Path + FileFetcher.PartialSuffix));
        Assert.False(File.Exists(result.Path + FileFetcher.StateSuffix));
        // With every data shard at hand, no parity shard is asked for: k per stripe, plus the manifest.
        Assert.Equal(1 + (5 * 4), _shards.Fetches.Count);
    }

    [Fact]
    public async Task Fetch_PrefersTheShardsWhoseHoldersAreNearest_AndInOrderWithoutMeasurements_ParityIsAskedInstead()
    {
        var data = Data(4 * (64 << 10), seed: 14);
        var stored = await StoreAsync(data, null);
        var manifest = stored.Manifest;
        // Every peer is measured near, except the holders of stripe 0's data shards 0 and 1.
        var far = new[] { _shards.HolderOf[manifest.Shard(0, 0)], _shards.HolderOf[manifest.Shard(0, 1)] };
        for (var i = 0; i < _shards.Peers.Count; i++)
        {
            _shards.RoundTrips[_shards.Peers[i]] = far.Contains(_shards.Peers[i]) ? 250 : 10 + (i % 7);
        }

        var path = Path.Combine(_root, "near");
        await Fetcher().FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None);

        Assert.Equal(data, File.ReadAllBytes(path));
        var askedOfFar = _shards.Fetches.Where(id => id != stored.ContentId && far.Contains(_shards.HolderOf[id])).ToList();
        Assert.Empty(askedOfFar);
        // Stripe 0 was rebuilt from both its parity shards instead.
        Assert.Contains(manifest.Shard(0, 4), _shards.Fetches);
        Assert.Contains(manifest.Shard(0, 5), _shards.Fetches);

        // Without the ranking, the data shards are asked first, far holders or not.
        _shards.Fetches.Clear();
        var fetcher = Fetcher(rankByRoundTrip: false);
        await fetcher.FetchAsync(stored.ContentId, Path.Combine(_root, "in-order"), null, new TransferProgress(), CancellationToken.None);
        Assert.Contains(manifest.Shard(0, 0), _shards.Fetches);
        Assert.Contains(manifest.Shard(0, 1), _shards.Fetches);
        Assert.DoesNotContain(manifest.Shard(0, 4), _shards.Fetches);
    }

    [Fact]
    public void Rank_PutsMeasuredHoldersFirst_NearestFirst_AndKeepsTheOrderFoundAmongTheUnmeasured()
    {
        var peers = Enumerable.Range(0, 4).Select(i => PeerId.Random(new Random(100 + i))).ToArray();
        var address = Overlay.Transport.TransportAddress.Parse("tcp://192.0.2.9:4001");
        var holders = peers.Select(p => new HolderCandidate(p, address)).ToList();
        var id = ShardId.Compute([1, 2, 3]);
        var rtts = new Dictionary<PeerId, double> { [peers[2]] = 40, [peers[3]] = 5, [peers[1]] = double.NaN };

        var ranked = HolderRanking.Rank(id, holders, rtts);

        Assert.Equal([peers[3], peers[2], peers[0], peers[1]], ranked.Holders.Select(h => h.Peer));
        Assert.Equal(5, ranked.RoundTripMs);
        Assert.Equal(double.PositiveInfinity, HolderRanking.Rank(id, holders, null).RoundTripMs);
        Assert.Equal(double.PositiveInfinity, HolderRanking.Rank(id, [], rtts).RoundTripMs);
    }

    [Fact]
    public async Task Store_StripesReadIntoReusedBuffers_EachDataShardIsItsBytesThenZeros_AndTheFileComesBack()
    {
        // 10,001-byte chunks in 3 data shards of 3,334 bytes (one byte of padding per full stripe), seven full
        // stripes through the few buffers a store reuses, and a short last stripe with shards of its own length.
        var (k, chunk) = (3, 10_001);
        var data = Data((7 * chunk) + 4_000, seed: 21);
        var storer = new FileStorer(Owner, _shards, new ContentBook(Path.Combine(_root, "content")), _options, 1 << 20, _clock, NullLogger.Instance);
        StoreResult stored;
        using (var input = new MemoryStream(data))
        {
            stored = await storer.StoreAsync(input, new StoreRequest("f", DataShards: k, ParityShards: 2, ChunkBytes: chunk), new TransferProgress(), CancellationToken.None);
        }

        var manifest = stored.Manifest;
        Assert.Equal(8, manifest.StripeCount);
        for (var s = 0; s < manifest.StripeCount; s++)
        {
            var stripe = data.AsSpan(s * chunk, manifest.StripeBytes(s));
            var length = manifest.ShardBytes(s);
            for (var i = 0; i < k; i++)
            {
                var expected = new byte[length];
                var start = Math.Min(i * length, stripe.Length);
                stripe[start..Math.Min(start + length, stripe.Length)].CopyTo(expected);
                Assert.Equal(expected, _shards[manifest.Shard(s, i)]);
            }
        }

        var hash = new byte[32];
        Blake3.Hash(data, hash);
        Assert.Equal(hash, manifest.ContentHash.ToArray());
        var result = await Fetcher().FetchAsync(stored.ContentId, _root, null, new TransferProgress(), CancellationToken.None);
        Assert.Equal(data, File.ReadAllBytes(result.Path));
    }

    [Fact]
    public async Task Store_PlacesTheShardsOfAStripeOnDistinctHolders()
    {
        var stored = await StoreAsync(Data(200_000, seed: 2), null);
        for (var s = 0; s < stored.Manifest.StripeCount; s++)
        {
            var holders = Enumerable.Range(0, 6).Select(i => _shards.HolderOf[stored.Manifest.Shard(s, i)]).ToHashSet();
            Assert.Equal(6, holders.Count);
        }
    }

    [Fact]
    public async Task Store_AStripeWithRepeatedShards_PlacesEachIdOnceOnAsManyHoldersAsPositions_AndFetchFetchesItOnce()
    {
        // A first stripe of zeros (all six shards alike, parity too), then random bytes.
        var data = new byte[100_000];
        new Random(5).NextBytes(data.AsSpan(64 << 10));
        var stored = await StoreAsync(data, "sparse.img");

        var zeros = stored.Manifest.Shard(0, 0);
        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(zeros, stored.Manifest.Shard(0, i)));
        Assert.Equal([6], _shards.HoldersAsked[zeros]);
        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal([1], _shards.HoldersAsked[stored.Manifest.Shard(1, i)]));

        var result = await Fetcher().FetchAsync(stored.ContentId, _root, null, new TransferProgress(), CancellationToken.None);
        Assert.Equal(data, File.ReadAllBytes(result.Path));
        Assert.Single(_shards.Fetches, zeros);
    }

    [Fact]
    public async Task Fetch_AHolderThatFailedOnce_IsAskedForNoMoreShards_WhileOthersAreLeft()
    {
        var data = Data(10 * (64 << 10), seed: 8);
        var stored = await StoreAsync(data, null);
        var manifest = stored.Manifest;
        var dead = Enumerable.Range(0, manifest.DataShards).Select(i => _shards.HolderOf[manifest.Shard(0, i)]).First(p => p != _shards.HolderOf[stored.ContentId]);
        var stripesWithDeadData = Enumerable.Range(0, manifest.StripeCount)
            .Count(s => Enumerable.Range(0, manifest.DataShards).Any(i => _shards.HolderOf[manifest.Shard(s, i)] == dead));
        Assert.True(stripesWithDeadData >= 3, $"the dead holder keeps data shards of only {stripesWithDeadData} stripes");
        var askedOfDead = 0;
        _shards.BeforeFetch = id =>
        {
            if (_shards.HolderOf[id] == dead)
            {
                askedOfDead++;
                throw new ShardExchangeException(ShardRefusal.NotFound, $"No holder gave shard {id}.")
                {
                    Attempts = [new HolderAttempt(dead, ShardRefusal.Failed, "timed out")],
                };
            }
        };

        // One stripe at a time, so each stripe's order is decided after the ones before it failed or not.
        var options = new FilesOptions { ChunkBytes = _options.ChunkBytes, DataShards = _options.DataShards, ParityShards = _options.ParityShards, ParallelShards = 4 };
        var result = await Fetcher(options).FetchAsync(stored.ContentId, _root, null, new TransferProgress(), CancellationToken.None);

        Assert.Equal(data, File.ReadAllBytes(result.Path));
        Assert.Equal(1, askedOfDead);
    }

    [Fact]
    public async Task Store_AnEmptyFile_FetchesBackEmpty()
    {
        var stored = await StoreAsync([], "empty");
        var path = Path.Combine(_root, "out");
        await Fetcher().FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None);
        Assert.Empty(File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Fetch_WithMShardsOfEveryStripeLost_DecodesFromParity()
    {
        var data = Data(260_000, seed: 3);
        var stored = await StoreAsync(data, null);
        for (var s = 0; s < stored.Manifest.StripeCount; s++)
        {
            // Two data shards of each stripe (m = 2), the worst place to lose them.
            _shards.Lost.Add(stored.Manifest.Shard(s, s % 3));
            _shards.Lost.Add(stored.Manifest.Shard(s, 3));
        }

        var progress = new TransferProgress();
        var path = Path.Combine(_root, "out");
        await Fetcher().FetchAsync(stored.ContentId, path, null, progress, CancellationToken.None);

        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(2 * stored.Manifest.StripeCount, progress.ShardsFailed);
    }

    [Fact]
    public async Task Fetch_WithMoreThanMShardsOfAStripeLost_FailsTyped_AndLeavesNoDestination()
    {
        var stored = await StoreAsync(Data(100_000, seed: 4), null);
        foreach (var i in new[] { 0, 1, 5 })
        {
            _shards.Lost.Add(stored.Manifest.Shard(1, i));
        }

        var path = Path.Combine(_root, "out");
        var e = await Assert.ThrowsAsync<FileException>(() => Fetcher().FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None));
        Assert.Equal(FileError.StripeUnavailable, e.Error);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Fetch_AHolderServingWrongBytesForAShard_IsCaught_AndTheOthersDecode()
    {
        var data = Data(150_000, seed: 5);
        var stored = await StoreAsync(data, null);
        var lied = stored.Manifest.Shard(0, 1);
        _shards.Lie.Add(lied);

        var path = Path.Combine(_root, "out");
        await Fetcher().FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None);

        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(1, Metrics.ShardsRejected);
        // The lie was a real one: the bytes handed out are not the shard's.
        Assert.NotEqual(ShardId.Compute(await _shards.FetchAsync(lied, CancellationToken.None)), lied);
    }

    [Fact]
    public async Task Fetch_AManifestThatDoesNotVerify_FailsAsBadManifest_AndIsCounted()
    {
        var stored = await StoreAsync(Data(10_000, seed: 6), null);
        var forged = _shards[stored.ContentId].ToArray();
        forged[^1] ^= 1;
        var forgedId = ShardId.Compute(forged);
        _shards[forgedId] = forged;

        var e = await Assert.ThrowsAsync<FileException>(() => Fetcher().FetchAsync(forgedId, Path.Combine(_root, "x"), null, new TransferProgress(), CancellationToken.None));
        Assert.Equal(FileError.BadManifest, e.Error);
        Assert.Equal(ManifestError.BadSignature, e.ManifestError);
        Assert.Equal(1, Metrics.ManifestsRejected(ManifestError.BadSignature));
    }

    [Fact]
    public async Task Fetch_Interrupted_ThenAgain_ResumesWithoutFetchingTheStripesDone()
    {
        var data = Data(6 * (64 << 10), seed: 7);
        var stored = await StoreAsync(data, null);
        var path = Path.Combine(_root, "out");
        var options = new FilesOptions { ChunkBytes = _options.ChunkBytes, DataShards = 4, ParityShards = 2, ParallelShards = 4 };

        // The first run gets stripes 0 and 1 (one stripe at a time), then the network goes away.
        _shards.BeforeFetch = id =>
        {
            if (Enumerable.Range(2, 4).Any(s => Enumerable.Range(0, 6).Any(i => stored.Manifest.Shard(s, i) == id)))
            {
                throw new ShardExchangeException(ShardRefusal.NotFound, "gone");
            }
        };
        var first = await Assert.ThrowsAsync<FileException>(() => Fetcher(options).FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None));
        Assert.Equal(FileError.StripeUnavailable, first.Error);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(path + FileFetcher.StateSuffix));

        _shards.BeforeFetch = null;
        _shards.Fetches.Clear();
        var progress = new TransferProgress();
        await Fetcher(options).FetchAsync(stored.ContentId, path, null, progress, CancellationToken.None);

        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(2, progress.StripesResumed);
        // The manifest, then k shards of each of the 4 stripes not yet written; none of stripes 0 and 1.
        Assert.Equal(1 + (4 * 4), _shards.Fetches.Count);
        Assert.DoesNotContain(_shards.Fetches, id => Enumerable.Range(0, 6).Any(i => stored.Manifest.Shard(0, i) == id || stored.Manifest.Shard(1, i) == id));
    }

    [Fact]
    public async Task Fetch_ResumedAfterThePartialFileChangedOnDisk_NoticesAndFetchesThatStripeAgain()
    {
        var data = Data(3 * (64 << 10), seed: 8);
        var stored = await StoreAsync(data, null);
        var path = Path.Combine(_root, "out");
        _shards.Lost.UnionWith(Enumerable.Range(0, 6).Select(i => stored.Manifest.Shard(2, i)));
        await Assert.ThrowsAsync<FileException>(() => Fetcher().FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None));

        // Someone edits the partial file: one byte of stripe 1.
        var partial = File.ReadAllBytes(path + FileFetcher.PartialSuffix);
        partial[(64 << 10) + 100] ^= 0xff;
        File.WriteAllBytes(path + FileFetcher.PartialSuffix, partial);
        _shards.Lost.Clear();

        var progress = new TransferProgress();
        await Fetcher().FetchAsync(stored.ContentId, path, null, progress, CancellationToken.None);

        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(1, progress.StripesResumed);
        Assert.Equal(1, progress.StripesChanged);
    }

    [Fact]
    public async Task Fetch_WhenTheDiskFills_FailsAsWriteFailed_AndPresentsNothingAsDone()
    {
        var stored = await StoreAsync(Data(200_000, seed: 9), null);
        var path = Path.Combine(_root, "out");
        var fetcher = Fetcher(openPartial: MemoryPartialFile.Opener(failAfterBytes: 100_000));

        var e = await Assert.ThrowsAsync<FileException>(() => fetcher.FetchAsync(stored.ContentId, path, null, new TransferProgress(), CancellationToken.None));

        Assert.Equal(FileError.WriteFailed, e.Error);
        Assert.Contains("No space left on device", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Fetch_ARange_WritesExactlyThoseBytes_FetchingOnlyTheStripesTheyTouch()
    {
        var data = Data(400_000, seed: 10);
        var stored = await StoreAsync(data, null);
        _shards.Fetches.Clear();
        var path = Path.Combine(_root, "part");

        var result = await Fetcher().FetchAsync(stored.ContentId, path, new ByteRange(70_000, 140_000), new TransferProgress(), CancellationToken.None);

        Assert.Equal(data.AsSpan(70_000, 70_001).ToArray(), File.ReadAllBytes(path));
        Assert.Equal(70_001, result.Bytes);
        Assert.Equal(1 + (2 * 4), _shards.Fetches.Count);
        var outside = await Assert.ThrowsAsync<FileException>(() => Fetcher().FetchAsync(stored.ContentId, path, new ByteRange(0, 400_000), new TransferProgress(), CancellationToken.None));
        Assert.Equal(FileError.BadRange, outside.Error);
    }

    [Fact]
    public async Task Store_RecordsTheContentPinned_AndPinnedShardsAreKnown()
    {
        var book = new ContentBook(Path.Combine(_root, "content"));
        var stored = await StoreAsync(Data(70_000, seed: 11), "a", book);

        Assert.True(book.Load(stored.ContentId)!.Pinned);
        Assert.True(book.IsPinnedShard(stored.Manifest.Shard(1, 5)));
        Assert.True(book.IsPinnedShard(stored.ContentId));
        Assert.True(book.SetPinned(stored.ContentId, pinned: false));
        Assert.False(book.IsPinnedShard(stored.Manifest.Shard(1, 5)));
        // Durable: a new book over the same folder reads the same state.
        Assert.False(new ContentBook(Path.Combine(_root, "content")).Load(stored.ContentId)!.Pinned);
        Assert.Single(book.List());
    }

    [Fact]
    public async Task Retains_KeepsPinnedContentAndShardsOutsideAnyContent_ReleasesUnpinnedContent()
    {
        var book = new ContentBook(Path.Combine(_root, "content"));
        var stored = await StoreAsync(Data(70_000, seed: 12), "b", book);
        var loose = ShardId.Compute(Data(1_000, seed: 13));

        Assert.True(book.Retains(stored.Manifest.Shard(0, 0)));
        Assert.True(book.Retains(stored.ContentId));
        Assert.True(book.Retains(loose));
        book.SetPinned(stored.ContentId, pinned: false);
        Assert.False(book.Retains(stored.Manifest.Shard(0, 0)));
        Assert.False(book.Retains(stored.ContentId));
        Assert.True(book.Retains(loose));
        book.SetPinned(stored.ContentId, pinned: true);
        Assert.True(book.Retains(stored.Manifest.Shard(0, 0)));
    }

    private async Task<StoreResult> StoreAsync(byte[] data, string? name, ContentBook? book = null)
    {
        var storer = new FileStorer(Owner, _shards, book ?? new ContentBook(Path.Combine(_root, "content")), _options, 1 << 20, _clock, NullLogger.Instance);
        using var input = new MemoryStream(data);
        return await storer.StoreAsync(input, new StoreRequest(name), new TransferProgress(), CancellationToken.None);
    }

    private FileFetcher Fetcher(FilesOptions? options = null, Func<string, Stream>? openPartial = null, bool rankByRoundTrip = true) =>
        new(_shards, new StripeFetcher(_shards, _clock, TimeSpan.FromSeconds(2), Metrics, NullLogger.Instance) { RankByRoundTrip = rankByRoundTrip }, options ?? _options, Metrics,
            NullLogger.Instance, openPartial ?? MemoryPartialFile.Opener());

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
