using Overlay.Crypto;
using Microsoft.Extensions.Logging;
using Overlay.Erasure;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Files;

/// <summary>
/// Fetches one stripe of a file: locates the holders of all its k + m shards, ranks the shards by the
/// measured round trip to their nearest holder (this node's own store first; data before parity among
/// equals, so nothing needs decoding when the data shards are as near), asks for the k nearest at once,
/// and for the next in rank whenever one fails, brings bytes that do not match its id, or has not come
/// within <see cref="HedgeAfter"/> (a hedged request: the slow one keeps running, whichever k arrive
/// first are used). Then rebuilds any missing data shards and returns the stripe's bytes.
/// </summary>
public sealed class StripeFetcher(IShardSource source, TimeProvider time, TimeSpan hedgeAfter, FileMetrics metrics, ILogger logger)
{
    // Holders that could not be reached or failed (not those that only lacked a shard) during this fetch
    // (a fetcher serves one operation): a dead holder keeps its place in the routing table, and its round
    // trip, until the table notices, so its other shards would be ranked first and each cost a timeout
    // or a hedge. Their shards are asked for last.
    private readonly HashSet<PeerId> _avoided = [];

    /// <summary>How long a shard may take before another is asked for as well.</summary>
    public TimeSpan HedgeAfter => hedgeAfter;

    /// <summary>Whether shards are ranked by their holders' round trips; off, they are asked in order (data, then parity). Only tests switch it off, to compare.</summary>
    internal bool RankByRoundTrip { get; set; } = true;

    /// <summary>
    /// The bytes of stripe <paramref name="stripe"/> of <paramref name="manifest"/> (its
    /// <see cref="FileManifest.StripeBytes"/>), from the holders <paramref name="located"/> finds (a
    /// <see cref="LocateAsync"/> the caller started earlier, so the lookups of the next stripes overlap
    /// the transfers of this one).
    /// </summary>
    /// <exception cref="FileException">Fewer than k shards could be fetched and verified (StripeUnavailable).</exception>
    public async Task<byte[]> FetchAsync(FileManifest manifest, int stripe, Task<ShardLocation[]> located, ReedSolomonCodec codec, TransferProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(located);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(progress);
        var (k, n, length) = (manifest.DataShards, manifest.ShardsPerStripe, manifest.ShardBytes(stripe));
        var shards = new Memory<byte>[n];
        var present = new bool[n];
        // A list, not a dictionary keyed by task: failed fetches that complete at once share one cached null-result task.
        var running = new List<(Task<byte[]?> Task, int Index)>();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var got = 0;
        var failures = new List<string>();
        try
        {
            var locations = await located;
            // OrderBy is stable: among equal round trips (or none measured) data shards come before parity.
            var order = Enumerable.Range(0, n).OrderBy(i => locations[i].RoundTripMs).ToArray();
            // Shards with the same bytes share an id: one fetch of it fills every position it has.
            var positions = Enumerable.Range(0, n).ToLookup(i => locations[i].Id);
            var asked = new HashSet<ShardId>();
            var covered = 0;
            while (covered < k)
            {
                if (!AskNext())
                {
                    break;
                }
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
                    if (AskNext())
                    {
                        progress.Hedged();
                        metrics.Hedged();
                    }

                    continue;
                }

                var at = running.FindIndex(r => r.Task == finished);
                var (task, index) = running[at];
                running.RemoveAt(at);
                if (await task is { } bytes)
                {
                    foreach (var position in positions[locations[index].Id])
                    {
                        shards[position] = bytes;
                        present[position] = true;
                        got++;
                    }
                }
                else
                {
                    failures.Add($"shard {index}: no holder gave it or it did not verify");
                    AskNext();
                }
            }

            // Asks for the next shard in rank whose id is not asked yet, one whose holders all failed this
            // fetch only when no other is left; false when none is left.
            bool AskNext()
            {
                foreach (var skipFailed in (ReadOnlySpan<bool>)[true, false])
                {
                    foreach (var index in order)
                    {
                        var location = locations[index];
                        if (asked.Contains(location.Id) || (skipFailed && AllFailed(location)))
                        {
                            continue;
                        }

                        asked.Add(location.Id);
                        covered += positions[location.Id].Count();
                        running.Add((FetchShardAsync(manifest, stripe, location, length, progress, done.Token), index));
                        return true;
                    }
                }

                return false;
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

    /// <summary>Whether every holder known for the shard failed earlier in this fetch.</summary>
    private bool AllFailed(ShardLocation location)
    {
        lock (_avoided)
        {
            return location.Holders.Count > 0 && location.Holders.All(h => _avoided.Contains(h.Peer));
        }
    }

    private void Avoid(IEnumerable<PeerId> holders)
    {
        lock (_avoided)
        {
            _avoided.UnionWith(holders);
        }
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

    /// <summary>
    /// Where each of the stripe's shards is, in shard order; a shard whose holders cannot be looked up is
    /// ranked last. Fails only when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<ShardLocation[]> LocateAsync(FileManifest manifest, int stripe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var ids = Enumerable.Range(0, manifest.ShardsPerStripe).Select(i => manifest.Shard(stripe, i)).ToArray();
        if (!RankByRoundTrip)
        {
            return [.. ids.Select(ShardLocation.Unknown)];
        }

        // Shards with the same bytes share an id, looked up once.
        var found = await Task.WhenAll(ids.Distinct().Select(async id =>
        {
            try
            {
                return await source.LocateAsync(id, cancellationToken);
            }
            catch (Exception e) when (e is ShardExchangeException or TransportException or ShardBookException ||
                                      (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Log.FileShardOutcome(logger, id, "its holders could not be looked up: " + e.Message);
                return ShardLocation.Unknown(id);
            }
        }));
        var byId = found.ToDictionary(l => l.Id);
        return [.. ids.Select(id => byId[id])];
    }

    /// <summary>The shard's bytes when a holder gave them and they match the id and length; null otherwise (counted).</summary>
    private async Task<byte[]?> FetchShardAsync(FileManifest manifest, int stripe, ShardLocation location, int length, TransferProgress progress, CancellationToken cancellationToken)
    {
        var id = location.Id;
        try
        {
            var bytes = location.Holders.Count == 0 && location.RoundTripMs != 0
                ? await source.FetchAsync(id, cancellationToken)
                : await source.FetchAsync(location, cancellationToken);
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
            if (e is ShardExchangeException { Attempts: { Count: > 0 } attempts })
            {
                Avoid(attempts.Where(a => a.Refusal == ShardRefusal.Failed).Select(a => a.Peer));
            }

            progress.ShardFailed();
            Log.FileShardOutcome(logger, id, e.Message);
            return null;
        }
    }
}
