using System.Globalization;
using Microsoft.Extensions.Logging;
using Overlay.Node.Hosting;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Recreates a stored directory (docs/FILES.md, "Directories"): each entry's file is fetched through
/// <see cref="FileFetcher"/> (verified, atomic, resumable) to its relative path under the destination,
/// <see cref="DirectoryStorer.ParallelFiles"/> at a time. A signed manifest is still untrusted input:
/// every path is resolved and must stay inside the destination, and no folder on the way may be a
/// symbolic link already on disk, or the fetch fails before that file is written.
/// </summary>
public sealed class DirectoryFetcher(FileFetcher files, FileMetrics metrics, ILogger logger)
{
    /// <summary>Fetches <paramref name="directory"/> (the verified manifest of <paramref name="contentId"/>) into <paramref name="destination"/>: created when absent; an existing folder receives the directory's name (or the content id) inside it.</summary>
    /// <exception cref="FileException">A path leaving the destination (BadManifest), a file that is not what its entry says (ContentMismatch), or any file's fetch failing.</exception>
    public async Task<DirectoryFetchResult> FetchAsync(ShardId contentId, DirectoryManifest directory, string destination, TransferProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(progress);
        var root = Path.GetFullPath(Directory.Exists(destination) ? Path.Combine(destination, directory.Name ?? contentId.ToString()) : destination);
        // Every path is checked before the first byte is written, so a hostile manifest leaves nothing behind.
        var targets = new string[directory.Entries.Count];
        for (var i = 0; i < targets.Length; i++)
        {
            if (!TryResolve(root, directory.Entries[i].Path, out targets[i]) && files.CheckPaths)
            {
                metrics.ManifestRejected(ManifestError.BadPath);
                throw new FileException(FileError.BadManifest, $"Directory {contentId} names a path that leaves {root}: '{directory.Entries[i].Path}'.") { ManifestError = ManifestError.BadPath };
            }
        }

        progress.TotalBytes = directory.TotalBytes;
        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileException(FileError.WriteFailed, $"Cannot create {root}: {e.Message}", e);
        }

        await FilesAtOnce.RunAsync(targets.Length, FetchFileAsync, cancellationToken);
        Log.DirectoryFetched(logger, contentId, targets.Length, directory.TotalBytes, root);
        return new DirectoryFetchResult(contentId, directory, root, directory.TotalBytes);

        async Task FetchFileAsync(int index, CancellationToken token)
        {
            var (entry, target) = (directory.Entries[index], targets[index]);
            var manifest = await files.FetchManifestAsync(entry.ContentId, token);
            if (manifest.FileSize != entry.Size)
            {
                throw new FileException(FileError.ContentMismatch, string.Create(CultureInfo.InvariantCulture,
                    $"'{entry.Path}' of directory {contentId} should have {entry.Size} bytes, but its content {entry.ContentId} has {manifest.FileSize}."));
            }

            try
            {
                if (files.CheckPaths && LinkOnTheWay(root, target) is { } link)
                {
                    throw new FileException(FileError.WriteFailed, $"{link} is a symbolic link; '{entry.Path}' of directory {contentId} is not written through it.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FileException(FileError.WriteFailed, $"Cannot create the folder of {target}: {e.Message}", e);
            }

            await files.FetchAsync(entry.ContentId, manifest, target, null, progress, ownsTotal: false, token);
            if (entry.Executable && !OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(target);
                File.SetUnixFileMode(target, mode | UnixFileMode.UserExecute | (mode.HasFlag(UnixFileMode.GroupRead) ? UnixFileMode.GroupExecute : 0) |
                    (mode.HasFlag(UnixFileMode.OtherRead) ? UnixFileMode.OtherExecute : 0));
            }
        }
    }

    /// <summary>
    /// The full path of <paramref name="relative"/> under <paramref name="root"/>, and whether it stays
    /// strictly inside it ("..", an absolute path or a drive would leave it).
    /// </summary>
    public static bool TryResolve(string root, string relative, out string full)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(relative);
        var top = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        full = Path.GetFullPath(Path.Combine(top, relative));
        return DirectoryManifestCodec.IsValidPath(relative) && full.StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>The first folder between <paramref name="root"/> and <paramref name="target"/> that is a symbolic link on disk, or null.</summary>
    private static string? LinkOnTheWay(string root, string target)
    {
        var top = Path.TrimEndingDirectorySeparator(root);
        for (var folder = Path.GetDirectoryName(target); folder is not null && folder.Length > top.Length; folder = Path.GetDirectoryName(folder))
        {
            if (new DirectoryInfo(folder).LinkTarget is not null)
            {
                return folder;
            }
        }

        return null;
    }
}
