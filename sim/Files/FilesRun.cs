using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Node.Configuration;
using Overlay.Node.Files;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim.Files;

/// <summary>
/// Files between whole nodes on the in-memory network, with the latencies of a measured RTT matrix and a
/// serialisation rate on every connection: one node stores each file (erasure-coded, shards placed on
/// peers), a second fetches it; then, for every stripe of every file, the holders of m of its positions
/// are killed at once (never more than m of any stripe) and a third node fetches each file again, from
/// the survivors and parity. Reports virtual times and whether every copy is byte-identical.
/// </summary>
internal sealed class FilesRun(FilesSettings settings, LatencyMatrix matrix, TextWriter output)
{
    public FilesResult Run()
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var net = new InMemoryNetwork(clock, settings.Seed,
            new MatrixLatencyModel(DhtNetworkRun.RttTable(matrix), new LinkProfile(TimeSpan.Zero, BytesPerSecond: settings.LinkBytesPerSecond)), digestEvents: settings.EventDigest, failOnForeignPosts: true);
        var wall = Stopwatch.StartNew();
        using var windows = new BulkWindowWatch();
        var nodes = settings.Nodes;
        using var whole = new WholeNodeNetwork(net, nodes, DhtNetworkRun.DefaultOptions(preferLowLatency: true), new TransportOptions { StreamWindowBytes = settings.StreamWindowBytes, BulkStreamWindowMaxBytes = settings.BulkStreamWindowMaxBytes }, settings.Seed);
        var keys = new Random(settings.Seed);
        var identities = Enumerable.Range(0, nodes).Select(_ => NodeIdentity.FromRandom(keys)).ToArray();
        var limit = TimeSpan.FromHours(24);
        whole.StartFirstBuildRest(identities, limit);

        var random = new Random(settings.Seed + 1);
        var (storer, fetcher, refetcher) = ThreeDistinct(random, nodes);
        var options = new FilesOptions { ChunkBytes = settings.ChunkBytes, DataShards = settings.DataShards, ParityShards = settings.ParityShards, ParallelShards = settings.ParallelShards };
        var root = Directory.CreateTempSubdirectory("overlay-sim-files").FullName;
        var figures = new List<FileFigures>();
        var formation = TimeSpan.Zero;
        var killed = 0;
        try
        {
            net.Run(async () =>
            {
                for (var start = 1; start < nodes; start += 32)
                {
                    await whole.StartAndJoinAsync(start, Math.Min(nodes, start + 32));
                }

                formation = clock.Elapsed;
                output.WriteLine(Invariant($"formed {nodes} whole nodes in {formation.TotalSeconds:F0} s virtual, {wall.Elapsed.TotalSeconds:F1} s wall; links {settings.LinkBytesPerSecond * 8 / 1e6:F0} Mbit/s each way per connection; code {settings.DataShards}+{settings.ParityShards}, {settings.ChunkBytes >> 10} KiB stripes, {settings.ParallelShards} shard transfers at once, {Windows(settings)}"));
                output.WriteLine(Invariant($"node {storer} stores, node {fetcher} fetches, node {refetcher} fetches again after the kill"));
                using var storing = Files(whole, identities, storer, options, root, clock);
                using var fetching = Files(whole, identities, fetcher, options, root, clock);
                var stored = new List<(StoreResult Result, byte[] Hash, TimeSpan Store, TimeSpan Fetch, bool Identical)>();
                for (var f = 0; f < settings.FileBytes.Count; f++)
                {
                    var data = new byte[settings.FileBytes[f]];
                    new Random(settings.Seed + 100 + f).NextBytes(data);
                    var hash = Hash(data);
                    var started = clock.GetTimestamp();
                    StoreResult result;
                    using (var input = new MemoryStream(data, writable: false))
                    {
                        result = await storing.Storer().StoreAsync(input, new StoreRequest($"file-{f}.bin"), new TransferProgress(), CancellationToken.None);
                    }

                    var store = clock.GetElapsedTime(started);
                    started = clock.GetTimestamp();
                    var path = await FetchAsync(fetching, result.ContentId, Path.Combine(root, $"file-{f}.first"), new TransferProgress());
                    var fetch = clock.GetElapsedTime(started);
                    var identical = SameHash(path, hash);
                    File.Delete(path);
                    stored.Add((result, hash, store, fetch, identical));
                    output.WriteLine(Invariant($"file {f}: {data.Length} bytes, {result.Manifest.StripeCount} stripes on {result.Holders.Count} holders; store {store.TotalSeconds:F2} s virtual ({Rate(data.Length, store)}), fetch by node {fetcher} {fetch.TotalSeconds:F2} s ({Rate(data.Length, fetch)}), {(identical ? "identical" : "DIFFERENT")}; {wall.Elapsed.TotalSeconds:F1} s wall"));
                }

                var owner = whole.Nodes[storer].ShardExchange.Owner!;
                var index = new Dictionary<PeerId, int>();
                for (var i = 0; i < nodes; i++)
                {
                    index[whole.Nodes[i].Id] = i;
                }

                var stripes = new List<HashSet<int>[]>();
                foreach (var (result, _, _, _, _) in stored)
                {
                    var manifest = result.Manifest;
                    for (var s = 0; s < manifest.StripeCount; s++)
                    {
                        stripes.Add([.. Enumerable.Range(0, manifest.ShardsPerStripe).Select(i =>
                            (owner.Status(manifest.Shard(s, i))?.Holders ?? []).Select(h => index[h.Peer]).ToHashSet())]);
                    }
                }

                var dead = ChooseVictims(stripes, settings.ParityShards, [storer, fetcher, refetcher], random);
                foreach (var v in dead)
                {
                    whole.Transports[v].Kill();
                }

                killed = dead.Count;
                var deadPerStripe = stripes.Select(positions => positions.Count(p => p.All(dead.Contains))).ToList();
                output.WriteLine(Invariant($"killed {killed} holders at once: {deadPerStripe.Min()}–{deadPerStripe.Max()} of the {settings.DataShards + settings.ParityShards} positions of each stripe lost"));
                using var refetching = Files(whole, identities, refetcher, options, root, clock);
                var stripe = 0;
                for (var f = 0; f < stored.Count; f++)
                {
                    var (result, hash, store, fetch, identical) = stored[f];
                    var lost = deadPerStripe.Skip(stripe).Take(result.Manifest.StripeCount).ToList();
                    stripe += result.Manifest.StripeCount;
                    var progress = new TransferProgress();
                    var started = clock.GetTimestamp();
                    TimeSpan? again = null;
                    var sameAgain = false;
                    try
                    {
                        var path = await FetchAsync(refetching, result.ContentId, Path.Combine(root, $"file-{f}.again"), progress);
                        again = clock.GetElapsedTime(started);
                        sameAgain = SameHash(path, hash);
                        File.Delete(path);
                    }
                    catch (FileException e)
                    {
                        output.WriteLine(Invariant($"file {f}: the fetch after the kill failed: {e.Error}: {e.Message}"));
                    }

                    figures.Add(new FileFigures(result.Manifest.FileSize, result.Manifest.StripeCount, result.Holders.Count, store, fetch, identical,
                        lost.Max(), lost.Min(), again, sameAgain, progress.ShardsFailed, progress.Hedges));
                    if (again is { } t)
                    {
                        output.WriteLine(Invariant($"file {f} after the kill: fetch by node {refetcher} {t.TotalSeconds:F2} s virtual ({Rate(result.Manifest.FileSize, t)}), {(sameAgain ? "identical" : "DIFFERENT")}; {progress.ShardsFailed} shard requests failed, {progress.Hedges} hedged; {wall.Elapsed.TotalSeconds:F1} s wall"));
                    }
                }
            }, limit);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        if (settings.EventDigest)
        {
            output.WriteLine(RunDigest.Line(net));
        }

        using var self = Process.GetCurrentProcess();
        if (settings.BulkStreamWindowMaxBytes > settings.StreamWindowBytes)
        {
            output.WriteLine(Invariant($"bulk stream windows grew {windows.Growths} times, to at most {windows.Largest >> 10} KiB"));
        }

        output.WriteLine(Invariant($"wall {wall.Elapsed.TotalSeconds:F1} s, user CPU {self.UserProcessorTime.TotalSeconds:F1} s, peak RSS {self.PeakWorkingSet64 >> 20} MiB"));
        return new FilesResult(figures, killed, formation);
    }

    /// <summary>
    /// Nodes to kill: for each stripe in turn, the holders of positions not yet lost (in a seeded random
    /// order) until <paramref name="perStripe"/> of its positions are lost, skipping a position whose
    /// holders are <paramref name="spared"/> or would take any stripe past <paramref name="perStripe"/>.
    /// </summary>
    internal static HashSet<int> ChooseVictims(IReadOnlyList<HashSet<int>[]> stripes, int perStripe, IReadOnlyCollection<int> spared, Random random)
    {
        var dead = new HashSet<int>();
        int Lost(HashSet<int>[] positions, HashSet<int> deadNodes) => positions.Count(p => p.Count > 0 && p.All(deadNodes.Contains));
        foreach (var positions in stripes)
        {
            foreach (var p in Enumerable.Range(0, positions.Length).OrderBy(_ => random.Next()))
            {
                if (Lost(positions, dead) >= perStripe)
                {
                    break;
                }

                if (positions[p].Count == 0 || positions[p].Overlaps(spared) || positions[p].All(dead.Contains))
                {
                    continue;
                }

                var trial = new HashSet<int>(dead);
                trial.UnionWith(positions[p]);
                if (stripes.All(other => Lost(other, trial) <= perStripe))
                {
                    dead = trial;
                }
            }
        }

        return dead;
    }

    private static FileService Files(WholeNodeNetwork whole, NodeIdentity[] identities, int node, FilesOptions options, string root, TimeProvider clock) =>
        new(whole.Nodes[node].ShardExchange, new NodeIdentityHolder(identities[node], createdThisStart: false), options, Path.Combine(root, "content-" + node),
            clock, whole.Meters, NullLogger.Instance, MemoryPartialFile.Opener(),
            () => HolderRanking.RoundTripsOf(whole.Nodes[node].Dht.Node!.SnapshotContacts()));

    private static async Task<string> FetchAsync(FileService files, ShardId id, string destination, TransferProgress progress) =>
        (await files.Fetcher().FetchAsync(id, destination, null, progress, CancellationToken.None)).Path;

    private static (int, int, int) ThreeDistinct(Random random, int nodes)
    {
        var picked = Enumerable.Range(0, nodes).OrderBy(_ => random.Next()).Take(3).ToArray();
        return (picked[0], picked[1], picked[2]);
    }

    private static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var hasher = Blake3Hasher.Create();
        hasher.Update(data);
        var hash = new byte[32];
        hasher.Finalize(hash);
        return hash;
    }

    private static bool SameHash(string path, byte[] expected)
    {
        var hasher = Blake3Hasher.Create();
        var buffer = new byte[4 << 20];
        using (var file = File.OpenRead(path))
        {
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                hasher.Update(buffer.AsSpan(0, read));
            }
        }

        var hash = new byte[32];
        hasher.Finalize(hash);
        return hash.AsSpan().SequenceEqual(expected);
    }

    private static string Rate(long bytes, TimeSpan time) =>
        time <= TimeSpan.Zero ? "instant" : Invariant($"{bytes / time.TotalSeconds / 1e6:F1} MB/s");

    private static string Windows(FilesSettings settings) => settings.BulkStreamWindowMaxBytes > settings.StreamWindowBytes
        ? Invariant($"bulk stream windows from {settings.StreamWindowBytes >> 10} KiB growing to at most {settings.BulkStreamWindowMaxBytes >> 10} KiB")
        : Invariant($"{settings.StreamWindowBytes >> 10} KiB stream windows");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
