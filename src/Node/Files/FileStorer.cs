using System.Globalization;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Erasure;
using Overlay.Node.Concurrency;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Stores a file (docs/FILES.md, "Store"): reads it in chunks of <see cref="FilesOptions.ChunkBytes"/>,
/// codes each chunk as a Reed–Solomon stripe of k data and m parity shards, places every shard (a stripe's
/// shards on distinct holders where the network has enough peers; at most
/// <see cref="FilesOptions.ParallelShards"/> transfers at once, while the next stripes are read and coded),
/// then signs the manifest, places it on m + 1 holders and records the content as pinned. The whole file
/// is hashed on the way. Memory: the stripes in flight, a few times (k + m) / k × ChunkBytes.
/// </summary>
public sealed class FileStorer(NodeIdentity identity, IShardPlacer placer, ContentBook book, FilesOptions options, int maxShardBytes, TimeProvider time, ILogger logger)
{
    // Shards of a stripe are laid out 64 bytes apart: back-to-back power-of-two shards alias in the
    // cache and code three times slower (docs/ERASURE.md).
    private const int ShardGap = 64;

    /// <summary>Stores <paramref name="input"/> to its end.</summary>
    /// <exception cref="FileException">Bad parameters, a read failure, a shard no holder took, or a file too large for a manifest.</exception>
    /// <exception cref="Overlay.Node.Shards.ShardBookException">The receipts cannot be written.</exception>
    /// <exception cref="ContentBookException">The content book cannot be written.</exception>
    public async Task<StoreResult> StoreAsync(Stream input, StoreRequest request, TransferProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        var started = time.GetTimestamp();
        var (k, m) = (request.DataShards ?? options.DataShards, request.ParityShards ?? options.ParityShards);
        // With a small k the configured chunk may cut into shards larger than holders keep: then the chunk
        // shrinks to k shards of the largest size (a chunk asked for explicitly is taken as it is, or refused).
        var chunk = request.ChunkBytes ?? (int)Math.Min(options.ChunkBytes, (long)k * maxShardBytes);
        var codec = CheckParameters(request, k, m, chunk);
        var n = k + m;
        var maxStripes = MaxStripes(n);
        var gate = new AsyncGate(options.ParallelShards);
        var hasher = Blake3Hasher.Create();
        var shardIds = new List<ShardId>();
        var holders = new HashSet<PeerId>();
        var inFlight = new Queue<Task>();
        long size = 0;
        var stripes = new StripeBuffers(n * (FileManifest.ShardLength(chunk, k) + ShardGap));
        // One failed shard fails the store: the placements still running are called off.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                var stripe = stripes.Rent();
                var read = await ReadStripeAsync(input, stripe, k, chunk, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                size += read;
                if (size > ManifestCodec.MaxFileBytes || shardIds.Count / n >= maxStripes)
                {
                    throw new FileException(FileError.TooLarge, string.Create(CultureInfo.InvariantCulture,
                        $"The file is larger than one manifest can describe with {chunk}-byte chunks and {k}+{m} (at most {maxStripes} stripes fit a {maxShardBytes}-byte shard); choose larger chunks."));
                }

                var shards = Encode(codec, stripe, chunk, read, hasher);
                var ids = new ShardId[n];
                for (var i = 0; i < n; i++)
                {
                    ids[i] = ShardId.Compute(shards[i].Span);
                }

                shardIds.AddRange(ids);
                progress.AddShards(n);
                inFlight.Enqueue(PlaceThenReturnAsync(stripes, stripe, ids, shards, read, holders, gate, progress, failed.Token));
                // Bounded read-ahead: a stripe is read and coded while earlier ones are still being placed.
                if (inFlight.Count > Math.Max(1, options.ParallelShards / n))
                {
                    await inFlight.Dequeue();
                }

                if (read < chunk)
                {
                    break;
                }
            }

            while (inFlight.Count > 0)
            {
                await inFlight.Dequeue();
            }
        }
        catch
        {
            // Let every placement still running end before the gate is disposed; the first failure is what is reported.
            // Cancel, not CancelAsync: the callbacks run here, on the caller's context (a simulator's scheduler too).
#pragma warning disable CA1849
            failed.Cancel();
#pragma warning restore CA1849
            await Task.WhenAll(inFlight).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }

        var stripesDone = time.GetTimestamp();
        var hash = new byte[32];
        hasher.Finalize(hash);
        var (manifest, encoded) = ManifestCodec.Sign(identity, size, chunk, k, m, hash, time.GetUtcNow(), request.Name, request.MediaType, shardIds);
        var contentId = ShardId.Compute(encoded);
        // The manifest is as precious as all the stripes together: m + 1 holders, the closest to its id, where fetchers look first.
        var manifestHolders = await placer.PlaceAsync(contentId, encoded, new HashSet<PeerId>(), m + 1, cancellationToken);
        if (manifestHolders.Count == 0)
        {
            throw new FileException(FileError.PlacementFailed, $"No peer kept the manifest {contentId}; the file's shards are placed, but without it nobody can find them.");
        }

        var manifestPlaced = time.GetTimestamp();
        book.Add(contentId, manifest, storedHere: true, pinned: true, time.GetUtcNow());
        var (stripesMs, manifestMs, bookMs) = (time.GetElapsedTime(started, stripesDone).TotalMilliseconds,
            time.GetElapsedTime(stripesDone, manifestPlaced).TotalMilliseconds, time.GetElapsedTime(manifestPlaced).TotalMilliseconds);
        Log.FileStored(logger, size, contentId, manifest.StripeCount, k, m, shardIds.Count, holders.Count, stripesMs, manifestMs, bookMs);
        return new StoreResult(contentId, manifest, holders);
    }

    /// <summary>Most stripes whose manifest still fits one shard of <c>maxShardBytes</c> (the fixed fields and keys take under 8 KiB).</summary>
    private int MaxStripes(int shardsPerStripe) => Math.Max(0, (maxShardBytes - 8192) / (shardsPerStripe * ShardId.Size));

    private ReedSolomonCodec CheckParameters(StoreRequest request, int k, int m, int chunk)
    {
        if (!ReedSolomonCodec.TryCreate(k, m, out var codec, out var error))
        {
            throw new FileException(FileError.BadParameters, $"The code {k}+{m} is not valid ({error}): k and m must be 1 or more, k + m at most 256.");
        }

        if (chunk is < ManifestCodec.MinChunkBytes or > ManifestCodec.MaxChunkBytes)
        {
            throw new FileException(FileError.BadParameters, $"The chunk size {chunk} is outside {ManifestCodec.MinChunkBytes}–{ManifestCodec.MaxChunkBytes} bytes.");
        }

        if (FileManifest.ShardLength(chunk, k) > maxShardBytes)
        {
            throw new FileException(FileError.BadParameters, string.Create(CultureInfo.InvariantCulture,
                $"Chunks of {chunk} bytes cut into {k} shards give shards of {FileManifest.ShardLength(chunk, k)} bytes, above this node's Storage:MaxShardBytes ({maxShardBytes}); use smaller chunks or a larger k."));
        }

        if ((request.Name is { Length: > 0 } name && !ManifestCodec.IsValidName(name)) || (request.MediaType is { Length: > 0 } type && !ManifestCodec.IsValidMediaType(type)))
        {
            throw new FileException(FileError.BadParameters, "The name must be one path component of at most 255 UTF-8 bytes without control characters, and the media type printable ASCII.");
        }

        return codec;
    }

    /// <summary>
    /// Reads the next chunk (up to <paramref name="chunk"/> bytes) straight into the data shards' places in
    /// <paramref name="stripe"/>, a full shard's length apart, and zeroes what is left of each place: the
    /// buffer is reused from stripe to stripe, and a shard's padding must be zeros. Returns the bytes read,
    /// fewer than <paramref name="chunk"/> only at the end of the input.
    /// </summary>
    private static async Task<int> ReadStripeAsync(Stream input, byte[] stripe, int k, int chunk, CancellationToken cancellationToken)
    {
        var length = FileManifest.ShardLength(chunk, k);
        var stride = length + ShardGap;
        var total = 0;
        try
        {
            for (var i = 0; i < k; i++)
            {
                // Only while every earlier place was filled: after a short read the input has ended.
                var want = total == i * length ? Math.Min(length, chunk - total) : 0;
                var got = want <= 0 ? 0 : await input.ReadAtLeastAsync(stripe.AsMemory(i * stride, want), want, throwOnEndOfStream: false, cancellationToken);
                stripe.AsSpan((i * stride) + got, length - got).Clear();
                total += got;
            }
        }
        catch (IOException e)
        {
            throw new FileException(FileError.ReadFailed, $"Reading the file failed: {e.Message}", e);
        }

        return total;
    }

    /// <summary>
    /// The stripe's k + m shards (data zero-padded to k × L), parity computed, and its data hashed into
    /// <paramref name="hasher"/> in file order. A full chunk is coded where it was read; a shorter last chunk
    /// has shorter shards, so its data is laid out again in a buffer of its own.
    /// </summary>
    private static Memory<byte>[] Encode(ReedSolomonCodec codec, byte[] stripe, int chunk, int read, Blake3Hasher hasher)
    {
        var k = codec.DataShards;
        var fullLength = FileManifest.ShardLength(chunk, k);
        var stride = fullLength + ShardGap;
        for (var i = 0; i < k && i * fullLength < read; i++)
        {
            hasher.Update(stripe.AsSpan(i * stride, Math.Min(fullLength, read - (i * fullLength))));
        }

        var length = FileManifest.ShardLength(read, k);
        if (length != fullLength)
        {
            var shorter = new byte[codec.TotalShards * (length + ShardGap)];
            for (var at = 0; at < read;)
            {
                // The piece of the file that is contiguous in both layouts: up to the end of a place in either.
                var piece = Math.Min(Math.Min(fullLength - (at % fullLength), length - (at % length)), read - at);
                stripe.AsSpan(((at / fullLength) * stride) + (at % fullLength), piece).CopyTo(shorter.AsSpan(((at / length) * (length + ShardGap)) + (at % length)));
                at += piece;
            }

            (stripe, stride) = (shorter, length + ShardGap);
        }

        var shards = new Memory<byte>[codec.TotalShards];
        for (var i = 0; i < shards.Length; i++)
        {
            shards[i] = stripe.AsMemory(i * stride, length);
        }

        codec.Encode(shards);
        return shards;
    }

    /// <summary>Places the stripe, then gives its buffer back for the next one (every transfer of it has ended, and placers keep no reference).</summary>
    private async Task PlaceThenReturnAsync(
        StripeBuffers stripes, byte[] stripe, ShardId[] ids, Memory<byte>[] shards, int bytes, HashSet<PeerId> allHolders, AsyncGate gate, TransferProgress progress, CancellationToken cancellationToken)
    {
        await PlaceStripeAsync(ids, shards, bytes, allHolders, gate, progress, cancellationToken);
        stripes.Return(stripe);
    }

    private async Task PlaceStripeAsync(
        ShardId[] ids, Memory<byte>[] shards, int bytes, HashSet<PeerId> allHolders, AsyncGate gate, TransferProgress progress, CancellationToken cancellationToken)
    {
        // Shards with the same bytes (a run of zeros, say) share one id, and a holder of that id serves
        // every position it fills. So an id that fills c positions is placed on c holders
        // (× HoldersPerShard): losing one peer still costs the stripe at most one position, and the
        // stripe takes the space it would with distinct shards.
        var positions = new Dictionary<ShardId, int>();
        var first = new List<int>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (positions.TryGetValue(ids[i], out var count))
            {
                positions[ids[i]] = count + 1;
            }
            else
            {
                positions[ids[i]] = 1;
                first.Add(i);
            }
        }

        // Each shard's first choice is decided before any transfer starts, so the choices of one stripe
        // are spread over distinct peers however the transfers then interleave.
        var assigned = new PeerId?[first.Count];
        var used = new HashSet<PeerId>();
        for (var j = 0; j < first.Count; j++)
        {
            assigned[j] = placer.Preferred(ids[first[j]], used);
            if (assigned[j] is { } peer)
            {
                used.Add(peer);
            }
        }

        var tasks = new Task[first.Count];
        for (var j = 0; j < first.Count; j++)
        {
            var index = first[j];
            var avoid = new HashSet<PeerId>(used);
            if (assigned[j] is { } own)
            {
                avoid.Remove(own);
            }

            tasks[j] = PlaceShardAsync(ids[index], shards[index], positions[ids[index]], avoid, allHolders, gate, progress, cancellationToken);
        }

        await Task.WhenAll(tasks);
        progress.AddDoneBytes(bytes);
    }

    private async Task PlaceShardAsync(
        ShardId id, Memory<byte> data, int positions, HashSet<PeerId> avoid, HashSet<PeerId> allHolders, AsyncGate gate, TransferProgress progress, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var holders = await placer.PlaceAsync(id, data, avoid, options.HoldersPerShard * positions, cancellationToken);
            if (holders.Count == 0)
            {
                progress.ShardFailed();
                throw new FileException(FileError.PlacementFailed, $"No peer kept shard {id} (every peer asked refused or failed; 'overlay peers' shows whom this node knows).");
            }

            lock (allHolders)
            {
                allHolders.UnionWith(holders);
            }

            for (var p = 0; p < positions; p++)
            {
                progress.ShardDone();
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
