using Microsoft.Extensions.Logging;
using Overlay.Erasure;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Files;

/// <summary>
/// Fetches one stripe of a file: asks for its k data shards at once (no decoding needed when they all
/// come), and for the next shard in order (parity after data) whenever one fails, brings bytes that do not
/// match its id, or has not come within <see cref="HedgeAfter"/> (a hedged request: the slow one keeps
/// running, whichever k arrive first are used). Then rebuilds any missing data shards and returns the
/// stripe's bytes.
/// </summary>
public sealed class StripeFetcher(IShardSource source, TimeProvider time, TimeSpan hedgeAfter, FileMetrics metrics, ILogger logger)
{
    /// <summary>How long a shard may take before another is asked for as well.</summary>
    public TimeSpan HedgeAfter => hedgeAfter;

    /// <summary>The bytes of stripe <paramref name="stripe"/> of <paramref name="manifest"/> (its <see cref="FileManifest.StripeBytes"/>).</summary>
    /// <exception cref="FileException">Fewer than k shards could be fetched and verified (StripeUnavailable).</exception>
    public async Task<byte[]> FetchAsync(FileManifest manifest, int stripe, ReedSolomonCodec codec, TransferProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(progress);
        var (k, n, length) = (manifest.DataShards, manifest.ShardsPerStripe, manifest.ShardBytes(stripe));
        var shards = new Memory<byte>[n];
        var present = new bool[n];
        // A list, not a dictionary keyed by task: failed fetches that complete at once share one cached null-result task.
        var running = new List<(Task<byte[]?> Task, int Index)>();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var next = 0;
        var got = 0;
        var failures = new List<string>();
        try
        {
            for (; next < k; next++)
            {
                running.Add((FetchShardAsync(manifest, stripe, next, length, progress, done.Token), next));
            }

            while (got < k)
            {
                if (running.Count == 0)
                {
                    throw new FileException(FileError.StripeUnavailable,
                        $"Only {got} of the {k} shards stripe {stripe} needs could be fetched and verified ({string.Join("; ", failures)}).");
                }

                using var hedge = CancellationTokenSource.CreateLinkedTokenSource(done.Token);
                var timer = Task.Delay(hedgeAfter, time, hedge.Token);
                var finished = await Task.WhenAny(running.Select(r => (Task)r.Task).Append(timer));
#pragma warning disable CA1849 // Cancel, not CancelAsync: the timer's callback runs here, on the caller's context.
                hedge.Cancel();
#pragma warning restore CA1849
                if (finished == timer)
                {
                    if (next < n)
                    {
                        progress.Hedged();
                        metrics.Hedged();
                        running.Add((FetchShardAsync(manifest, stripe, next, length, progress, done.Token), next++));
                    }

                    continue;
                }

                var at = running.FindIndex(r => r.Task == finished);
                var (task, index) = running[at];
                running.RemoveAt(at);
                if (await task is { } bytes)
                {
                    shards[index] = bytes;
                    present[index] = true;
                    got++;
                }
                else
                {
                    failures.Add($"shard {index}: no holder gave it or it did not verify");
                    if (next < n)
                    {
                        running.Add((FetchShardAsync(manifest, stripe, next, length, progress, done.Token), next++));
                    }
                }
            }
        }
        finally
        {
#pragma warning disable CA1849
            done.Cancel();
#pragma warning restore CA1849
            // The hedged requests still running end quietly (their results are not needed).
            foreach (var (task, _) in running)
            {
                _ = task.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        return Assemble(manifest, stripe, codec, shards, present, length);
    }

    private static byte[] Assemble(FileManifest manifest, int stripe, ReedSolomonCodec codec, Memory<byte>[] shards, bool[] present, int length)
    {
        var k = manifest.DataShards;
        var missingData = false;
        for (var i = 0; i < shards.Length; i++)
        {
            if (!present[i])
            {
                missingData |= i < k;
                // Only absent data shards are written by a data-only rebuild; absent parity stays empty.
                shards[i] = i < k ? new byte[length] : Memory<byte>.Empty;
            }
        }

        if (missingData && !codec.TryReconstructData(shards, present, out var error))
        {
            // Every shard was checked against its id, so this is a manifest whose ids do not form a stripe.
            throw new FileException(FileError.StripeUnavailable, $"Stripe {stripe} could not be rebuilt from the shards fetched ({error}).");
        }

        var bytes = new byte[manifest.StripeBytes(stripe)];
        for (var i = 0; i < k && i * length < bytes.Length; i++)
        {
            shards[i].Span[..Math.Min(length, bytes.Length - (i * length))].CopyTo(bytes.AsSpan(i * length));
        }

        return bytes;
    }

    /// <summary>The shard's bytes when a holder gave them and they match the id and length; null otherwise (counted).</summary>
    private async Task<byte[]?> FetchShardAsync(FileManifest manifest, int stripe, int index, int length, TransferProgress progress, CancellationToken cancellationToken)
    {
        var id = manifest.Shard(stripe, index);
        try
        {
            var bytes = await source.FetchAsync(id, cancellationToken);
            // Checked here too: the source is the network, and a wrong shard must never reach the decoder.
            if (bytes.Length != length || ShardId.Compute(bytes) != id)
            {
                metrics.ShardRejected();
                progress.ShardFailed();
                Log.FileShardOutcome(logger, id, "bytes did not match the id");
                return null;
            }

            progress.ShardDone();
            return bytes;
        }
        catch (Exception e) when (e is ShardExchangeException or TransportException or ShardBookException ||
                                  (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            progress.ShardFailed();
            Log.FileShardOutcome(logger, id, e.Message);
            return null;
        }
    }
}
