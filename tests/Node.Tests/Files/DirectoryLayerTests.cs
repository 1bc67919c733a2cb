using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Files;
using Overlay.Storage;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Files;

/// <summary>Directories over a dictionary of shards: seeded random trees stored and recreated, links, and manifests whose paths try to leave the tree.</summary>
public sealed class DirectoryLayerTests : IDisposable
{
    private static readonly NodeIdentity Owner = NodeIdentity.FromRandom(new Random(79));
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-dirs").FullName;
    private readonly Meter _meter = new("test.dirs");
    private readonly VirtualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FilesOptions _options = new() { ChunkBytes = 16 << 10, DataShards = 3, ParityShards = 2, ParallelShards = 8 };
    private readonly DictionaryShards _shards = new();
    private readonly ContentBook _book;

    public DirectoryLayerTests()
    {
        Metrics = new FileMetrics(_meter);
        _book = new ContentBook(Path.Combine(_root, "content"));
    }

    private FileMetrics Metrics { get; }

    public void Dispose()
    {
        _meter.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Store_ARandomTree_ThenFetch_RecreatesEveryFileItsBytesAndItsExecutableBit(int seed)
    {
        var source = Path.Combine(_root, "source-" + seed);
        var written = RandomTree(source, new Random(seed));
        var stored = await StoreAsync(source);

        Assert.Equal(written.Count, stored.Manifest.Entries.Count);
        Assert.Equal(0, stored.Skipped);
        Assert.Equal("source-" + seed, stored.Manifest.Name);
        Assert.True(_book.Load(stored.ContentId)!.IsDirectory);
        // Each file is content of its own, in the book beside the directory.
        Assert.All(stored.Manifest.Entries, e => Assert.Equal(e.Size, _book.Load(e.ContentId)!.Manifest!.FileSize));

        var progress = new TransferProgress();
        var target = Path.Combine(_root, "copy-" + seed);
        var fetched = await FetchAsync(stored.ContentId, target, progress);

        Assert.Equal(target, fetched.Path);
        Assert.Equal(written.Values.Sum(v => (long)v.Bytes.Length), progress.TotalBytes);
        Assert.Equal(progress.TotalBytes, progress.DoneBytes);
        var found = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f).Replace('\\', '/')).Order(StringComparer.Ordinal);
        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), found);
        foreach (var (path, (bytes, executable)) in written)
        {
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, path)));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(executable, (File.GetUnixFileMode(Path.Combine(target, path)) & UnixFileMode.UserExecute) != 0);
            }
        }

        // Fetched into an existing folder, the tree goes under the directory's name.
        var into = Directory.CreateDirectory(Path.Combine(_root, "into-" + seed)).FullName;
        var again = await FetchAsync(stored.ContentId, into, new TransferProgress());
        Assert.Equal(Path.Combine(into, "source-" + seed), again.Path);
    }

    [Fact]
    public async Task Store_SkipsSymbolicLinks_NeitherFollowingThemOutOfTheTreeNorKeepingThem()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret"), "not for the tree");
        var source = Directory.CreateDirectory(Path.Combine(_root, "linked")).FullName;
        File.WriteAllText(Path.Combine(source, "kept"), "in the tree");
        File.CreateSymbolicLink(Path.Combine(source, "to-secret"), Path.Combine(outside, "secret"));
        Directory.CreateSymbolicLink(Path.Combine(source, "to-outside"), outside);

        var stored = await StoreAsync(source);

        Assert.Equal(["kept"], stored.Manifest.Entries.Select(e => e.Path));
        Assert.Equal(2, stored.Skipped);
    }

    [Fact]
    public async Task Fetch_ASignedManifestWithDotDot_IsRefusedAndCounted_WhileWithoutTheCheckItWritesOutside()
    {
        // A valid file, then a directory manifest signed by a real key naming it "../escaped".
        var file = await StoreFileAsync("payload"u8.ToArray());
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, _clock.GetUtcNow(), "evil", [new DirectoryEntry("../escaped", file, 7, false)], checkPaths: false);
        var id = ShardId.Compute(encoded);
        _shards[id] = encoded;
        var target = Path.Combine(_root, "victim", "tree");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var escaped = Path.Combine(_root, "victim", "escaped");

        var fetcher = Fetcher();
        var e = await Assert.ThrowsAsync<FileException>(() => FetchAnyAsync(fetcher, id, target));
        Assert.Equal(FileError.BadManifest, e.Error);
        Assert.Equal(ManifestError.BadPath, e.ManifestError);
        Assert.Equal(1, Metrics.ManifestsRejected(ManifestError.BadPath));
        Assert.False(File.Exists(escaped));
        Assert.False(Directory.Exists(target));

        // The same manifest with the checks switched off: the file lands outside the destination.
        var unchecked_ = Fetcher();
        unchecked_.CheckPaths = false;
        await FetchAnyAsync(unchecked_, id, target);
        Assert.Equal("payload", File.ReadAllText(escaped));
    }

    [Fact]
    public async Task Fetch_AManifestPathingThroughASymbolicLinkOnDisk_IsRefused_AndNothingIsWrittenThroughIt()
    {
        var file = await StoreFileAsync("payload"u8.ToArray());
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, _clock.GetUtcNow(), "d", [new DirectoryEntry("sub/f", file, 7, false)]);
        var id = ShardId.Compute(encoded);
        _shards[id] = encoded;
        var outside = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        var target = Directory.CreateDirectory(Path.Combine(_root, "target")).FullName;
        // Fetched into the existing folder "target", the tree goes to "target/d", where "sub" already leads elsewhere.
        Directory.CreateDirectory(Path.Combine(target, "d"));
        Directory.CreateSymbolicLink(Path.Combine(target, "d", "sub"), outside);

        var e = await Assert.ThrowsAsync<FileException>(() => FetchAnyAsync(Fetcher(), id, target));
        Assert.Equal(FileError.WriteFailed, e.Error);
        Assert.False(File.Exists(Path.Combine(outside, "f")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));

        // Without the check the file goes through the link.
        var unchecked_ = Fetcher();
        unchecked_.CheckPaths = false;
        await FetchAnyAsync(unchecked_, id, target);
        Assert.Equal("payload", File.ReadAllText(Path.Combine(outside, "f")));
    }

    [Fact]
    public async Task Fetch_AnEntryWhoseFileIsNotItsSize_FailsAsContentMismatch()
    {
        var file = await StoreFileAsync(new byte[100]);
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, _clock.GetUtcNow(), "d", [new DirectoryEntry("f", file, 99, false)]);
        var id = ShardId.Compute(encoded);
        _shards[id] = encoded;

        var e = await Assert.ThrowsAsync<FileException>(() => FetchAnyAsync(Fetcher(), id, Path.Combine(_root, "out")));
        Assert.Equal(FileError.ContentMismatch, e.Error);
        Assert.False(File.Exists(Path.Combine(_root, "out", "f")));
    }

    [Fact]
    public void TryResolve_KeepsPathsInside_AndShowsWhereTheOthersWouldGo()
    {
        var root = Path.Combine(_root, "r");
        Assert.True(DirectoryFetcher.TryResolve(root, "a/b", out var inside));
        Assert.Equal(Path.Combine(root, "a", "b"), inside);
        foreach (var hostile in new[] { "../x", "a/../../x", "/etc/passwd", "..", "a/.." })
        {
            Assert.False(DirectoryFetcher.TryResolve(root, hostile, out var full));
            Assert.NotNull(full);
        }

        // Without the check, "../x" and an absolute path really resolve outside the root.
        DirectoryFetcher.TryResolve(root, "../x", out var up);
        Assert.False(up.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        DirectoryFetcher.TryResolve(root, "/etc/passwd", out var absolute);
        Assert.Equal("/etc/passwd", absolute);
    }

    private async Task<DirectoryStoreResult> StoreAsync(string source)
    {
        var storer = new DirectoryStorer(Owner, FileStorer, _shards, _book, _options, 1 << 20, _clock, NullLogger.Instance);
        return await storer.StoreAsync(source, new StoreRequest(), new TransferProgress(), CancellationToken.None);
    }

    private async Task<ShardId> StoreFileAsync(byte[] data)
    {
        using var input = new MemoryStream(data);
        return (await FileStorer().StoreAsync(input, new StoreRequest("f"), new TransferProgress(), CancellationToken.None)).ContentId;
    }

    private FileStorer FileStorer() => new(Owner, _shards, _book, _options, 1 << 20, _clock, NullLogger.Instance);

    private FileFetcher Fetcher() =>
        new(_shards, new StripeFetcher(_shards, _clock, TimeSpan.FromSeconds(2), Metrics, NullLogger.Instance), _options, Metrics, NullLogger.Instance);

    private Task<DirectoryFetchResult> FetchAsync(ShardId id, string destination, TransferProgress progress) => FetchAnyAsync(Fetcher(), id, destination, progress);

    private async Task<DirectoryFetchResult> FetchAnyAsync(FileFetcher fetcher, ShardId id, string destination, TransferProgress? progress = null)
    {
        var (_, directory) = await fetcher.FetchAnyManifestAsync(id, CancellationToken.None);
        Assert.NotNull(directory);
        return await new DirectoryFetcher(fetcher, Metrics, NullLogger.Instance).FetchAsync(id, directory, destination, progress ?? new TransferProgress(), CancellationToken.None);
    }

    /// <summary>A tree of 1–30 files in up to four levels of folders, names with spaces and non-ASCII letters, sizes from 0 to 50 KB, some executable.</summary>
    private static Dictionary<string, (byte[] Bytes, bool Executable)> RandomTree(string root, Random random)
    {
        var written = new Dictionary<string, (byte[], bool)>(StringComparer.Ordinal);
        var names = new[] { "a", "b c", "données", "x.txt", "README", "日本", "-dash", ".hidden" };
        var count = random.Next(1, 31);
        for (var i = 0; i < count; i++)
        {
            var depth = random.Next(0, 4);
            var parts = Enumerable.Range(0, depth).Select(_ => "d" + names[random.Next(names.Length)]).Append(names[random.Next(names.Length)] + i).ToArray();
            var path = string.Join('/', parts);
            var bytes = new byte[random.Next(0, 4) == 0 ? 0 : random.Next(1, 50_000)];
            random.NextBytes(bytes);
            var executable = random.Next(3) == 0;
            var full = Path.Combine([root, .. parts]);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0));
            }

            written[path] = (bytes, executable);
        }

        Assert.Equal(count, written.Count);
        return written;
    }
}
