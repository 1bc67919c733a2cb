using System.Globalization;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Erasure;
using Overlay.Node.Concurrency;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Fetches a file by content id (docs/FILES.md, "Fetch"): the manifest first (checked against the id,
/// then decoded and its signature verified), then the stripes the range covers, several at once, each
/// from any k of its shards (<see cref="StripeFetcher"/>). Stripes are written into
/// <c>DEST.overlay-part</c> with a sidecar listing those done (<see cref="FetchState"/>), so an
/// interrupted fetch resumes without fetching them again; a whole file is checked against the
/// manifest's BLAKE3, flushed, and only then renamed to DEST. Nothing at DEST is ever partial.
/// </summary>
public sealed class FileFetcher(IShardSource source, StripeFetcher stripes, FilesOptions options, FileMetrics metrics, ILogger logger, Func<string, Stream>? openPartial = null)
{
    /// <summary>Suffix of the partial file beside the destination.</summary>
    public const string PartialSuffix = ".overlay-part";

    /// <summary>Suffix of the sidecar beside the partial file.</summary>
    public const string StateSuffix = ".overlay-part.state";

    /// <summary>Stripes whose holders are looked up ahead of those being fetched.</summary>
    internal const int StripesLocatedAhead = 4;

    private readonly Func<string, Stream> _openPartial = openPartial ?? OpenPartial;

    /// <summary>Fetches and verifies the file manifest of <paramref name="contentId"/>.</summary>
    /// <exception cref="FileException">No holder gave it (ManifestNotFound) or it is not a valid file manifest (BadManifest).</exception>
    public async Task<FileManifest> FetchManifestAsync(ShardId contentId, CancellationToken cancellationToken)
    {
        var (file, _) = await FetchAnyManifestAsync(contentId, directoryAllowed: false, cancellationToken);
        return file!;
    }

    /// <summary>Fetches and verifies the manifest of <paramref name="contentId"/>, a file's or a directory's: exactly one of the two is returned.</summary>
    /// <exception cref="FileException">No holder gave it (ManifestNotFound) or it is not a valid manifest (BadManifest).</exception>
    public Task<(FileManifest? File, DirectoryManifest? Directory)> FetchAnyManifestAsync(ShardId contentId, CancellationToken cancellationToken) =>
        FetchAnyManifestAsync(contentId, directoryAllowed: true, cancellationToken);

    private async Task<(FileManifest? File, DirectoryManifest? Directory)> FetchAnyManifestAsync(ShardId contentId, bool directoryAllowed, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await source.FetchAsync(contentId, cancellationToken);
        }
        catch (ShardExchangeException e)
        {
            throw new FileException(FileError.ManifestNotFound, $"No holder gave the manifest {contentId}: {e.Message}", e);
        }

        if (ShardId.Compute(bytes) != contentId)
        {
            metrics.ManifestRejected(ManifestError.BadSignature);
            throw new FileException(FileError.BadManifest, $"The bytes given for manifest {contentId} do not hash to it.") { ManifestError = ManifestError.BadSignature };
        }

        if (directoryAllowed && ManifestCodec.KindOf(bytes) == ManifestCodec.DirectoryKind)
        {
            if (!DirectoryManifestCodec.TryDecode(bytes, out var directory, out var directoryError, CheckPaths))
            {
                metrics.ManifestRejected(directoryError);
                throw new FileException(FileError.BadManifest, $"Content {contentId} is not a valid directory manifest ({directoryError}).") { ManifestError = directoryError };
            }

            return (null, directory);
        }

        if (!ManifestCodec.TryDecode(bytes, out var manifest, out var error))
        {
            metrics.ManifestRejected(error);
            throw new FileException(FileError.BadManifest, $"Content {contentId} is not a valid file manifest ({error}).") { ManifestError = error };
        }

        return (manifest, null);
    }

    /// <summary>Whether directory manifests' paths are checked; only tests switch it off, to show the writes outside the directory it stops.</summary>
    internal bool CheckPaths { get; set; } = true;

    /// <summary>
    /// Fetches content <paramref name="contentId"/> (the bytes of <paramref name="range"/>, or all) to
    /// <paramref name="destination"/>; a directory receives the manifest's name, or the content id.
    /// </summary>
    /// <exception cref="FileException">The manifest, a stripe, the range or the destination failed; DEST is untouched.</exception>
    public async Task<FetchResult> FetchAsync(ShardId contentId, string destination, ByteRange? range, TransferProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(progress);
        var manifest = await FetchManifestAsync(contentId, cancellationToken);
        return await FetchAsync(contentId, manifest, destination, range, progress, ownsTotal: true, cancellationToken);
    }

    /// <summary>
    /// Fetches the file of <paramref name="manifest"/> (already fetched and verified as <paramref name="contentId"/>)
    /// to <paramref name="destination"/>, as <see cref="FetchAsync(ShardId, string, ByteRange?, TransferProgress, CancellationToken)"/>;
    /// <paramref name="progress"/> gets the bytes and shards, and its total too when <paramref name="ownsTotal"/> (a directory's fetch sets it once for all files).
    /// </summary>
    /// <exception cref="FileException">A stripe, the range or the destination failed; DEST is untouched.</exception>
    internal async Task<FetchResult> FetchAsync(
        ShardId contentId, FileManifest manifest, string destination, ByteRange? range, TransferProgress progress, bool ownsTotal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(progress);
        if (Directory.Exists(destination))
        {
            destination = Path.Combine(destination, manifest.Name ?? contentId.ToString());
        }

        var wanted = range ?? new ByteRange(0, manifest.FileSize - 1);
        if (range is { } r && (r.First < 0 || r.Last >= manifest.FileSize))
        {
            throw new FileException(FileError.BadRange, string.Create(CultureInfo.InvariantCulture, $"The range {r} is not inside the file's {manifest.FileSize} bytes."));
        }

        var codec = new ReedSolomonCodec(manifest.DataShards, manifest.ParityShards);
        var (first, last) = manifest.FileSize == 0 ? (0, -1) : ((int)(wanted.First / manifest.ChunkBytes), (int)(wanted.Last / manifest.ChunkBytes));
        var regionStart = manifest.StripeOffset(first);
        var regionLength = last < first ? 0 : manifest.StripeOffset(last) + manifest.StripeBytes(last) - regionStart;
        var partial = destination + PartialSuffix;
        var statePath = destination + StateSuffix;
        if (ownsTotal)
        {
            progress.TotalBytes = regionLength;
        }

        try
        {
            var stream = _openPartial(partial);
            await using (stream)
            {
                var state = await ResumeAsync(manifest, contentId, wanted, stream, first, last, regionStart, partial, statePath, progress, cancellationToken);
                if (stream.Length != regionLength)
                {
                    stream.SetLength(regionLength);
                }

                await FetchStripesAsync(manifest, codec, stream, state, first, last, regionStart, statePath, progress, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                if (range is null)
                {
                    await CheckWholeFileAsync(manifest, contentId, stream, statePath, cancellationToken);
                }
                else
                {
                    await WriteRangeAsync(stream, wanted.First - regionStart, wanted.Length, destination + ".overlay-range", cancellationToken);
                }

                if (stream is FileStream file)
                {
                    file.Flush(flushToDisk: true);
                }
            }

            // Renamed only now, whole and checked: DEST never holds a partial or unchecked file.
            File.Move(range is null ? partial : destination + ".overlay-range", destination, overwrite: true);
            File.Delete(statePath);
            File.Delete(partial);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileException(FileError.WriteFailed, $"Cannot write {partial} or {destination}: {e.Message} (the stripes already written are kept for a later fetch to resume).", e);
        }

        Log.FileFetched(logger, contentId, wanted.Length, destination, progress.StripesResumed, progress.Hedges, progress.ShardsFailed);
        return new FetchResult(contentId, manifest, destination, manifest.FileSize == 0 ? 0 : wanted.Length);
    }

    private static Stream OpenPartial(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        return new FileStream(path, options);
    }

    /// <summary>The sidecar's state when it names this content and range, its stripes checked against the manifest; else a fresh one.</summary>
    private async Task<FetchState> ResumeAsync(
        FileManifest manifest, ShardId contentId, ByteRange wanted, Stream stream, int first, int last, long regionStart, string partial, string statePath,
        TransferProgress progress, CancellationToken cancellationToken)
    {
        var saved = FetchState.TryLoad(statePath);
        if (saved is null || saved.ContentId != contentId || saved.First != wanted.First || saved.Last != wanted.Last)
        {
            stream.SetLength(0);
            return new FetchState(contentId, wanted.First, wanted.Last);
        }

        var state = new FetchState(contentId, wanted.First, wanted.Last);
        foreach (var stripe in saved.Done)
        {
            if (stripe < first || stripe > last)
            {
                continue;
            }

            var bytes = new byte[manifest.StripeBytes(stripe)];
            stream.Position = manifest.StripeOffset(stripe) - regionStart;
            var read = await stream.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken);
            if (read == bytes.Length && DataShardsMatch(manifest, stripe, bytes))
            {
                state.Done.Add(stripe);
                progress.StripeResumed();
                progress.AddDoneBytes(bytes.Length);
            }
            else
            {
                progress.StripeChanged();
                Log.FileStripeChanged(logger, stripe, partial);
            }
        }

        return state;
    }

    /// <summary>Whether <paramref name="bytes"/>, cut and padded as at store time, hash to the stripe's data shard ids.</summary>
    private static bool DataShardsMatch(FileManifest manifest, int stripe, byte[] bytes)
    {
        var length = manifest.ShardBytes(stripe);
        var shard = new byte[length];
        for (var i = 0; i < manifest.DataShards; i++)
        {
            Array.Clear(shard);
            var start = Math.Min(bytes.Length, i * length);
            bytes.AsSpan(start, Math.Min(length, bytes.Length - start)).CopyTo(shard);
            if (ShardId.Compute(shard) != manifest.Shard(stripe, i))
            {
                return false;
            }
        }

        return true;
    }

    private async Task FetchStripesAsync(
        FileManifest manifest, ReedSolomonCodec codec, Stream stream, FetchState state, int first, int last, long regionStart, string statePath,
        TransferProgress progress, CancellationToken cancellationToken)
    {
        var todo = Enumerable.Range(first, Math.Max(0, last - first + 1)).Where(s => !state.Done.Contains(s)).ToList();
        progress.AddShards((long)todo.Count * manifest.DataShards);
        var writeLock = new AsyncGate(1);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task>();
        var parallel = Math.Max(1, options.ParallelShards / manifest.DataShards);
        // Locating a stripe's holders is k + m provider lookups: several round trips and no bytes. The
        // next stripes are located while this one's shards move, so on a wide-area network the
        // transfers, not the lookups, set the pace (docs/FILES.md "Fetch").
        var located = new Dictionary<int, Task<ShardLocation[]>>();
        try
        {
            for (var i = 0; i < todo.Count; i++)
            {
                for (var j = i; j < Math.Min(todo.Count, i + parallel + StripesLocatedAhead); j++)
                {
                    if (!located.ContainsKey(todo[j]))
                    {
                        located[todo[j]] = stripes.LocateAsync(manifest, todo[j], failed.Token);
                    }
                }

                if (inFlight.Count >= parallel)
                {
                    var finished = await Task.WhenAny(inFlight);
                    inFlight.Remove(finished);
                    await finished;
                }

                located.Remove(todo[i], out var where);
                inFlight.Add(FetchStripeAsync(todo[i], where!));
            }

            await Task.WhenAll(inFlight);
        }
        catch
        {
#pragma warning disable CA1849 // Cancel, not CancelAsync: the callbacks run on the caller's context.
            failed.Cancel();
#pragma warning restore CA1849
            try
            {
                await Task.WhenAll(inFlight);
            }
            catch (Exception e) when (e is FileException or IOException or OperationCanceledException or UnauthorizedAccessException)
            {
                // The first failure is the one reported.
            }

            throw;
        }
        finally
        {
            // Lookups started for stripes never fetched end quietly.
            foreach (var lookup in located.Values)
            {
                _ = lookup.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        async Task FetchStripeAsync(int stripe, Task<ShardLocation[]> where)
        {
            var bytes = await stripes.FetchAsync(manifest, stripe, where, codec, progress, failed.Token);
            await writeLock.WaitAsync(failed.Token);
            try
            {
                stream.Position = manifest.StripeOffset(stripe) - regionStart;
                await stream.WriteAsync(bytes, failed.Token);
                state.Done.Add(stripe);
                state.Save(statePath);
            }
            finally
            {
                writeLock.Release();
            }

            progress.AddDoneBytes(bytes.Length);
        }
    }

    private static async Task CheckWholeFileAsync(FileManifest manifest, ShardId contentId, Stream stream, string statePath, CancellationToken cancellationToken)
    {
        stream.Position = 0;
        var hash = new byte[32];
        await Blake3File.HashAsync(stream, hash, cancellationToken);
        if (!hash.AsSpan().SequenceEqual(manifest.ContentHash))
        {
            // Every stripe matched its shard ids, so the manifest's hash itself disagrees with its shards: start over next time.
            File.Delete(statePath);
            throw new FileException(FileError.ContentMismatch, $"The fetched file does not hash to the BLAKE3 in manifest {contentId}; it was not kept.");
        }
    }

    private static async Task WriteRangeAsync(Stream stream, long offset, long length, string path, CancellationToken cancellationToken)
    {
        stream.Position = offset;
        var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using (output)
        {
            var buffer = new byte[1 << 20];
            while (length > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken);
                if (read == 0)
                {
                    throw new IOException($"The partial file ended {length} bytes before the range did.");
                }

                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                length -= read;
            }

            output.Flush(flushToDisk: true);
        }
    }
}
