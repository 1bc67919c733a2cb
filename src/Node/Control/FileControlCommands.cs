using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Configuration;
using Overlay.Node.Files;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Control;

/// <summary>
/// The control commands of the file layer (docs/FILES.md, "Control API"): <c>file-store</c> and
/// <c>file-fetch</c> start an operation and answer with its id at once; <c>file-progress</c> and
/// <c>file-cancel</c> follow it; <c>file-ls</c>, <c>file-pin</c>, <c>file-unpin</c> and <c>file-status</c>
/// read and change the content book. Arguments beyond the key travel as a JSON object in the value.
/// </summary>
public sealed class FileControlCommands(FileService files, ControlOptions controlOptions, TimeProvider time) : IControlCommands
{
    /// <summary>Longest wait a <c>file-progress</c> request may ask for, in milliseconds (well under <c>Control:OperationTimeout</c>).</summary>
    public const int MaxProgressWaitMs = 1000;

    /// <summary>Whether <paramref name="command"/> is one of these.</summary>
    public static bool Serves(string command) => command.StartsWith("file-", StringComparison.Ordinal);

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (files.Owner is null)
        {
            return ControlReply.Fail(ControlError.Unavailable, "The shard exchange is not running (the daemon is starting or stopping).");
        }

        var arguments = new JsonObject();
        if (request.Value is { } value && !ControlProtocol.TryParseObject(value, out arguments, out var error))
        {
            return ControlReply.Fail(ControlError.BadArgument, "The arguments of a file command are one JSON object: " + error);
        }

        try
        {
            switch (request.Command)
            {
                case "file-store":
                    return Store(arguments);
                case "file-fetch":
                    return Fetch(request.Key, arguments);
                case "file-progress":
                    return await ProgressAsync(request.Key, arguments, cancellationToken).ConfigureAwait(false);
                case "file-cancel":
                    return files.Operations.Cancel(request.Key ?? string.Empty)
                        ? ControlReply.Ok(new JsonObject { ["operation"] = request.Key })
                        : ControlReply.Fail(ControlError.NotFound, $"No file operation '{request.Key}' is known (finished ones are forgotten after {FileOperations.MaxFinished}).");
                case "file-ls":
                    return ControlReply.Ok(new JsonObject { ["content"] = new JsonArray([.. files.Book.List().Select(Summary)]) });
                case "file-pin" or "file-unpin":
                    return await PinAsync(request.Command == "file-pin", request.Key, cancellationToken).ConfigureAwait(false);
                case "file-status":
                    return await StatusAsync(request.Key, cancellationToken).ConfigureAwait(false);
                default:
                    return ControlReply.Fail(ControlError.UnknownCommand, $"'{request.Command}' is not a file command.");
            }
        }
        catch (ContentBookException e)
        {
            return ControlReply.Fail(ControlError.Internal, e.Message);
        }
        catch (ShardBookException e)
        {
            return ControlReply.Fail(ControlError.Internal, e.Message);
        }
        catch (FileException e) when (e.Error is FileError.ManifestNotFound)
        {
            return ControlReply.Fail(ControlError.NotFound, e.Message);
        }
        catch (FileException e)
        {
            return ControlReply.Fail(ControlError.BadArgument, e.Message);
        }
    }

    private ControlReply Store(JsonObject arguments)
    {
        if (!TryString(arguments, "path", out var path) || path is null || !Path.IsPathFullyQualified(path))
        {
            return ControlReply.Fail(ControlError.BadArgument, "A store needs 'path': the absolute path of a file or directory the daemon can read.");
        }

        if (!TryString(arguments, "name", out var name) || !TryString(arguments, "mediaType", out var mediaType) || !TryString(arguments, "code", out var code))
        {
            return ControlReply.Fail(ControlError.BadArgument, "'name', 'mediaType' and 'code' are strings when present.");
        }

        int? k = null, m = null;
        if (code is not null)
        {
            if (!TryParseCode(code, out var dataShards, out var parityShards))
            {
                return ControlReply.Fail(ControlError.BadArgument, $"The code '{code}' is not k+m with 1 ≤ k, 1 ≤ m and k + m ≤ 256 (for example 10+4).");
            }

            (k, m) = (dataShards, parityShards);
        }

        var deleteAfter = arguments["deleteAfter"] is JsonValue d && d.TryGetValue<bool>(out var del) && del;
        var request = new StoreRequest(name ?? (deleteAfter ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(path))), mediaType, k, m);
        var operation = files.Operations.Start("store", async (progress, ct) =>
        {
            try
            {
                if (Directory.Exists(path))
                {
                    var stored = await files.DirectoryStorer().StoreAsync(path, request, progress, ct).ConfigureAwait(false);
                    files.Metrics.Completed("store");
                    return new JsonObject
                    {
                        ["id"] = stored.ContentId.ToString(),
                        ["kind"] = "directory",
                        ["files"] = stored.Manifest.Entries.Count,
                        ["bytes"] = stored.Manifest.TotalBytes,
                        ["skipped"] = stored.Skipped,
                        ["holders"] = stored.DistinctHolders,
                    };
                }

                FileStream input;
                try
                {
                    input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new FileException(FileError.ReadFailed, $"The daemon cannot read {path}: {e.Message}", e);
                }

                await using (input.ConfigureAwait(false))
                {
                    progress.TotalBytes = input.Length;
                    var result = await files.Storer().StoreAsync(input, request, progress, ct).ConfigureAwait(false);
                    files.Metrics.Completed("store");
                    return new JsonObject
                    {
                        ["id"] = result.ContentId.ToString(),
                        ["kind"] = "file",
                        ["bytes"] = result.Manifest.FileSize,
                        ["stripes"] = result.Manifest.StripeCount,
                        ["code"] = $"{result.Manifest.DataShards}+{result.Manifest.ParityShards}",
                        ["chunkBytes"] = result.Manifest.ChunkBytes,
                        ["holders"] = result.DistinctHolders,
                    };
                }
            }
            catch (FileException e)
            {
                files.Metrics.Failed("store", e.Error);
                throw;
            }
            finally
            {
                if (deleteAfter)
                {
                    File.Delete(path);
                }
            }
        });
        return ControlReply.Ok(new JsonObject { ["operation"] = operation.Id });
    }

    private ControlReply Fetch(string? key, JsonObject arguments)
    {
        if (!ShardId.TryParse(key, out var id))
        {
            return ControlReply.Fail(ControlError.BadArgument, "A content id is 64 hexadecimal characters (as 'overlay store' prints it).");
        }

        if (!TryString(arguments, "output", out var output) || output is null || !Path.IsPathFullyQualified(output))
        {
            return ControlReply.Fail(ControlError.BadArgument, "A fetch needs 'output': an absolute path (a file, or a directory to write the file's name into).");
        }

        ByteRange? range = null;
        if (!TryString(arguments, "range", out var rangeText))
        {
            return ControlReply.Fail(ControlError.BadArgument, "'range' is a string A-B when present.");
        }

        if (rangeText is not null)
        {
            if (!ByteRange.TryParse(rangeText, out var parsed))
            {
                return ControlReply.Fail(ControlError.BadArgument, $"The range '{rangeText}' is not A-B with 0 ≤ A ≤ B (bytes, both included).");
            }

            range = parsed;
        }

        var operation = files.Operations.Start("fetch", async (progress, ct) =>
        {
            try
            {
                var fetcher = files.Fetcher();
                var (manifest, directory) = await fetcher.FetchAnyManifestAsync(id, ct).ConfigureAwait(false);
                JsonObject reply;
                if (directory is not null)
                {
                    if (range is not null)
                    {
                        throw new FileException(FileError.BadRange, $"Content {id} is a directory; --range reads a part of a file.");
                    }

                    var fetched = await files.DirectoryFetcher(fetcher).FetchAsync(id, directory, output, progress, ct).ConfigureAwait(false);
                    reply = new JsonObject { ["kind"] = "directory", ["files"] = directory.Entries.Count, ["path"] = fetched.Path, ["bytes"] = fetched.Bytes, ["fileBytes"] = fetched.Bytes };
                }
                else
                {
                    var result = await fetcher.FetchAsync(id, manifest!, output, range, progress, ownsTotal: true, ct).ConfigureAwait(false);
                    reply = new JsonObject
                    {
                        ["kind"] = "file",
                        ["path"] = result.Path,
                        ["bytes"] = result.Bytes,
                        ["fileBytes"] = result.Manifest.FileSize,
                        ["mediaType"] = result.Manifest.MediaType,
                    };
                }

                files.Metrics.Completed("fetch");
                reply["id"] = id.ToString();
                reply["name"] = manifest?.Name ?? directory!.Name;
                reply["owner"] = (manifest?.Owner ?? directory!.Owner).PeerId.ToString();
                return reply;
            }
            catch (FileException e)
            {
                files.Metrics.Failed("fetch", e.Error);
                throw;
            }
        });
        return ControlReply.Ok(new JsonObject { ["operation"] = operation.Id });
    }

    private async Task<ControlReply> ProgressAsync(string? key, JsonObject arguments, CancellationToken cancellationToken)
    {
        if (key is null || files.Operations.Find(key) is not { } operation)
        {
            return ControlReply.Fail(ControlError.NotFound, $"No file operation '{key}' is known (finished ones are forgotten after {FileOperations.MaxFinished}).");
        }

        // A long poll: the reply waits until the operation ends or waitMs pass, so the end is seen when it
        // happens, not up to a polling interval later (a 1 MiB store takes a few hundred milliseconds).
        var waitMs = arguments["waitMs"] is JsonValue w && w.TryGetValue<int>(out var ms) ? Math.Clamp(ms, 0, MaxProgressWaitMs) : 0;
        if (waitMs > 0 && !operation.Completion.IsCompleted)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(TimeSpan.FromMilliseconds(waitMs), time, wait.Token);
            await Task.WhenAny(operation.Completion, delay).ConfigureAwait(false);
#pragma warning disable CA1849 // Cancel, not CancelAsync: only the delay's timer is stopped.
            wait.Cancel();
#pragma warning restore CA1849
        }

        var body = new JsonObject
        {
            ["operation"] = operation.Id,
            ["kind"] = operation.Kind,
            ["elapsedSeconds"] = ((operation.FinishedAt ?? time.GetUtcNow()) - operation.StartedAt).TotalSeconds,
            ["progress"] = operation.Progress.ToJson(),
        };
        var completion = operation.Completion;
        if (!completion.IsCompleted)
        {
            body["state"] = "running";
        }
        else if (completion.IsCompletedSuccessfully)
        {
            body["state"] = "done";
            body["result"] = completion.Result.DeepClone();
        }
        else
        {
            var e = completion.Exception?.GetBaseException();
            body["state"] = "failed";
            (body["error"], body["message"]) = e switch
            {
                FileException f => (f.Error.ToString(), f.Message),
                ShardBookException or ContentBookException => ("Internal", e.Message),
                OperationCanceledException or null => ("Cancelled", "The operation was cancelled (by 'overlay' or because the daemon is stopping)."),
                _ => ("Internal", "The operation failed inside the daemon: " + e.Message),
            };
        }

        return ControlReply.Ok(body);
    }

    private async Task<ControlReply> PinAsync(bool pin, string? key, CancellationToken cancellationToken)
    {
        if (!ShardId.TryParse(key, out var id))
        {
            return ControlReply.Fail(ControlError.BadArgument, "A content id is 64 hexadecimal characters (as 'overlay store' prints it).");
        }

        if (!files.Book.SetPinned(id, pin))
        {
            if (!pin)
            {
                return ControlReply.Fail(ControlError.NotFound, $"Content {id} is not in this node's list ('overlay ls').");
            }

            // Pinning content stored elsewhere: its manifest is fetched and verified, then recorded as pinned.
            var (manifest, directory) = await WithTimeoutAsync(ct => files.Fetcher().FetchAnyManifestAsync(id, ct), cancellationToken).ConfigureAwait(false);
            if (directory is not null)
            {
                files.Book.Add(id, directory, storedHere: false, pinned: true, time.GetUtcNow());
            }
            else
            {
                files.Book.Add(id, manifest!, storedHere: false, pinned: true, time.GetUtcNow());
            }
        }

        // A directory's pin is its files' pin: those this node knows follow it (content stored elsewhere is pinned by its manifest).
        var entry = files.Book.Load(id)!;
        foreach (var file in entry.Directory?.ContentIds ?? [])
        {
            if (!files.Book.SetPinned(file, pin) && pin)
            {
                var manifest = await WithTimeoutAsync(ct => files.Fetcher().FetchManifestAsync(file, ct), cancellationToken).ConfigureAwait(false);
                files.Book.Add(file, manifest, storedHere: false, pinned: true, time.GetUtcNow());
            }
        }

        return ControlReply.Ok(Summary(entry));
    }

    private async Task<ControlReply> StatusAsync(string? key, CancellationToken cancellationToken)
    {
        if (!ShardId.TryParse(key, out var id))
        {
            return ControlReply.Fail(ControlError.BadArgument, "A content id is 64 hexadecimal characters (as 'overlay store' prints it).");
        }

        var entry = files.Book.Load(id);
        var (manifest, directory) = entry is not null ? (entry.Manifest, entry.Directory)
            : await WithTimeoutAsync(ct => files.Fetcher().FetchAnyManifestAsync(id, ct), cancellationToken).ConfigureAwait(false);
        var body = entry is null ? Describe(id, manifest, directory) : Summary(entry);
        if (directory is not null)
        {
            body["entries"] = new JsonArray([.. directory.Entries.Select(e => EntryHealth(e))]);
        }
        else
        {
            body["stripes"] = ContentHealth.Stripes(manifest!, files.Owner!, time.GetUtcNow());
        }

        body["manifestHolders"] = ContentHealth.LiveHolders(files.Owner!.Status(id), time.GetUtcNow());
        return ControlReply.Ok(body);
    }

    /// <summary>A directory entry with its file's health from this node's receipts: the weakest stripe's canLose (null when the file's manifest is not in the book).</summary>
    private JsonObject EntryHealth(DirectoryEntry entry)
    {
        var body = new JsonObject { ["path"] = entry.Path, ["id"] = entry.ContentId.ToString(), ["bytes"] = entry.Size, ["executable"] = entry.Executable };
        if (files.Book.Load(entry.ContentId)?.Manifest is { } manifest)
        {
            var stripes = ContentHealth.Stripes(manifest, files.Owner!, time.GetUtcNow());
            body["canLose"] = stripes.Count == 0 ? 0 : stripes.Min(s => s!["canLose"]!.GetValue<int>());
        }

        return body;
    }

    private async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(controlOptions.OperationTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        return await run(linked.Token).ConfigureAwait(false);
    }

    private static JsonObject Summary(ContentEntry entry)
    {
        var body = Describe(ShardId.Parse(entry.Id), entry.Manifest, entry.Directory);
        body["storedHere"] = entry.StoredHere;
        body["pinned"] = entry.Pinned;
        body["added"] = entry.AddedAt.ToString("O", CultureInfo.InvariantCulture);
        return body;
    }

    private static JsonObject Describe(ShardId id, FileManifest? manifest, DirectoryManifest? directory) => directory is not null
        ? new()
        {
            ["id"] = id.ToString(),
            ["kind"] = "directory",
            ["name"] = directory.Name,
            ["bytes"] = directory.TotalBytes,
            ["files"] = directory.Entries.Count,
            ["owner"] = directory.Owner.PeerId.ToString(),
            ["created"] = directory.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        }
        : new()
        {
            ["id"] = id.ToString(),
            ["kind"] = "file",
            ["name"] = manifest!.Name,
            ["mediaType"] = manifest.MediaType,
            ["bytes"] = manifest.FileSize,
            ["code"] = $"{manifest.DataShards}+{manifest.ParityShards}",
            ["chunkBytes"] = manifest.ChunkBytes,
            ["stripeCount"] = manifest.StripeCount,
            ["owner"] = manifest.Owner.PeerId.ToString(),
            ["created"] = manifest.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        };

    /// <summary>Parses "k+m" into a valid Reed–Solomon code.</summary>
    public static bool TryParseCode(string text, out int dataShards, out int parityShards)
    {
        (dataShards, parityShards) = (0, 0);
        var plus = text?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        return text is not null && plus > 0 &&
            int.TryParse(text.AsSpan(0, plus), NumberStyles.None, CultureInfo.InvariantCulture, out dataShards) &&
            int.TryParse(text.AsSpan(plus + 1), NumberStyles.None, CultureInfo.InvariantCulture, out parityShards) &&
            Overlay.Erasure.ReedSolomonCodec.Validate(dataShards, parityShards) == Overlay.Erasure.ErasureError.None;
    }

    private static bool TryString(JsonObject json, string name, out string? value) => ControlProtocol.TryGetString(json, name, out value);
}
