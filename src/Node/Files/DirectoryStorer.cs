using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Stores a directory (docs/FILES.md, "Directories"): walks the tree without following symbolic links
/// (links and anything that is neither a file nor a folder are skipped and counted), stores each file as
/// content of its own (<see cref="FileStorer"/>, <see cref="ParallelFiles"/> at a time), then signs the
/// directory manifest naming each file's relative path, content id, size and executable bit, places it on
/// m + 1 holders and records it, pinned, in the content book.
/// </summary>
public sealed class DirectoryStorer(NodeIdentity identity, Func<FileStorer> storers, IShardPlacer placer, ContentBook book, FilesOptions options, int maxShardBytes, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// Files stored at once. A small file is one stripe, whose k + m transfers alone leave most of the
    /// parallelism (<see cref="FilesOptions.ParallelShards"/>) idle while its receipts come back; four
    /// files at once keep the transfers busy without holding more than four stripes of large files in memory.
    /// </summary>
    public const int ParallelFiles = 4;

    // The directory manifest's fields besides its entries, an ML-DSA-65 key and signature included, take under 8 KiB.
    private const int FixedManifestBytes = 8192;

    /// <summary>Stores the tree under <paramref name="root"/>; <paramref name="request"/> gives the directory's name and the code of its files.</summary>
    /// <exception cref="FileException">A path that cannot be kept, a file that cannot be read or placed, or a tree too large for one manifest.</exception>
    /// <exception cref="Overlay.Node.Shards.ShardBookException">The receipts cannot be written.</exception>
    /// <exception cref="ContentBookException">The content book cannot be written.</exception>
    public async Task<DirectoryStoreResult> StoreAsync(string root, StoreRequest request, TransferProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        var (files, skipped) = Walk(root);
        // Refused before anything is placed: the manifest must fit one shard.
        var manifestBytes = FixedManifestBytes + files.Sum(f => 2L + Encoding.UTF8.GetByteCount(f.Relative) + ShardId.Size + 8 + 1);
        if (manifestBytes > maxShardBytes)
        {
            throw new FileException(FileError.TooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The directory's {files.Count} files need a manifest of about {manifestBytes} bytes, above Storage:MaxShardBytes ({maxShardBytes}); store its folders one by one."));
        }

        progress.TotalBytes = files.Sum(f => f.Size);
        var entries = new DirectoryEntry[files.Count];
        var holders = new HashSet<PeerId>();
        await FilesAtOnce.RunAsync(files.Count, StoreFileAsync, cancellationToken);

        var name = request.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root));
        var (manifest, encoded) = DirectoryManifestCodec.Sign(identity, time.GetUtcNow(), ManifestCodec.IsValidName(name) ? name : null, entries);
        var contentId = ShardId.Compute(encoded);
        var m = request.ParityShards ?? options.ParityShards;
        var manifestHolders = await placer.PlaceAsync(contentId, encoded, new HashSet<PeerId>(), m + 1, cancellationToken);
        if (manifestHolders.Count == 0)
        {
            throw new FileException(FileError.PlacementFailed, $"No peer kept the directory manifest {contentId}; its files are stored, each under its own content id ('overlay ls').");
        }

        book.Add(contentId, manifest, storedHere: true, pinned: true, time.GetUtcNow());
        Log.DirectoryStored(logger, contentId, entries.Length, manifest.TotalBytes, skipped);
        return new DirectoryStoreResult(contentId, manifest, skipped, holders.Count);

        async Task StoreFileAsync(int index, CancellationToken token)
        {
            var file = files[index];
            Stream input;
            try
            {
                // What reports no bytes is stored empty without being opened: a pipe among the files
                // (its size is 0) would otherwise hold the store until something writes to it.
                input = file.Size == 0 ? new MemoryStream([], writable: false)
                    : new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FileException(FileError.ReadFailed, $"Cannot read {file.FullPath}: {e.Message}", e);
            }

            await using (input)
            {
                var stored = await storers().StoreAsync(input, request with { Name = Path.GetFileName(file.FullPath), MediaType = null }, progress, token);
                entries[index] = new DirectoryEntry(file.Relative, stored.ContentId, stored.Manifest.FileSize, file.Executable);
                lock (holders)
                {
                    holders.UnionWith(stored.Holders);
                }
            }
        }
    }

    /// <summary>The regular files under <paramref name="root"/>, links not followed; and how many entries were skipped.</summary>
    /// <exception cref="FileException">The root is not a folder, a folder cannot be read, or a name cannot be kept in a manifest.</exception>
    internal static (List<WalkedFile> Files, int Skipped) Walk(string root)
    {
        var top = new DirectoryInfo(root);
        if (!top.Exists)
        {
            throw new FileException(FileError.ReadFailed, $"{root} is not a directory.");
        }

        var files = new List<WalkedFile>();
        var skipped = 0;
        var folders = new Stack<DirectoryInfo>();
        folders.Push(top);
        try
        {
            while (folders.TryPop(out var folder))
            {
                foreach (var item in folder.EnumerateFileSystemInfos())
                {
                    // A symbolic link is never followed: it could lead out of the tree, or round in a cycle.
                    if (item.LinkTarget is not null)
                    {
                        skipped++;
                    }
                    else if (item is DirectoryInfo sub)
                    {
                        folders.Push(sub);
                    }
                    else if (item is FileInfo file)
                    {
                        var relative = Path.GetRelativePath(top.FullName, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
                        if (!DirectoryManifestCodec.IsValidPath(relative))
                        {
                            throw new FileException(FileError.BadParameters,
                                $"The path '{relative}' cannot be kept in a directory manifest (a name with '\\' or a control character, or a path over {DirectoryManifestCodec.MaxPathBytes} bytes); rename it.");
                        }

                        files.Add(new WalkedFile(file.FullName, relative, file.Length, IsExecutable(file)));
                    }
                    else
                    {
                        skipped++;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileException(FileError.ReadFailed, $"Cannot read the directory {root}: {e.Message}", e);
        }

        return (files, skipped);
    }

    private static bool IsExecutable(FileInfo file) =>
        !OperatingSystem.IsWindows() && (file.UnixFileMode & UnixFileMode.UserExecute) != 0;

    /// <summary>A file found by <see cref="Walk"/>: where it is, its path relative to the root ('/'-separated), its size, its executable bit.</summary>
    internal sealed record WalkedFile(string FullPath, string Relative, long Size, bool Executable);
}
