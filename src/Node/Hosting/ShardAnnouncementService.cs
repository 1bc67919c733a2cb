using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Composition;
using Overlay.Node.Concurrency;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Hosting;

/// <summary>
/// A holder's provider announcements (docs/PROTOCOL.md, "Provider records"), on the injected clock: shards newly kept
/// are announced first (queued when stored or pulled, and gathered for <see cref="ShardExchangeOptions.AnnouncementGather"/>), and every <see cref="ShardExchangeOptions.ReannounceInterval"/>
/// a pass over the store announces every shard it keeps again, so a record never lapses while the shard is kept and
/// lapses (after the DHT's RecordTtl) once it is not. Each announcement takes every newly kept shard waiting, or the
/// pass's next <see cref="IdsPerAnnouncement"/> shards, and sends them as signed batches (one lookup and k STOREs per
/// stretch of keyspace whose k closest peers are the same); at most <see cref="ShardExchangeOptions.AnnouncementsPerSecond"/>
/// announcements start, so the rate bounds the lookups and a pass over a million shards takes about
/// 1,000,000 / <see cref="IdsPerAnnouncement"/> announcements.
/// </summary>
public sealed class ShardAnnouncementService(
    IOptions<ShardExchangeOptions> options, ShardStoreService store, IShardProviders providers, ShardExchangeMetrics metrics, TimeProvider time, ILogger<ShardAnnouncementService> logger) : INodePart
{
    /// <summary>Shards one announcement names at most (its batches are cut further by the DHT's own limit).</summary>
    public const int IdsPerAnnouncement = 4096;

    /// <summary>Newly kept shards waiting to be announced; past it, the next pass announces them.</summary>
    private const int FreshCapacity = 65_536;

    /// <summary>Announcements in flight at once (each is a lookup and k batch stores per batch).</summary>
    private const int InFlight = 16;

    private readonly Channel<ShardId> _fresh = Channel.CreateBounded<ShardId>(new BoundedChannelOptions(FreshCapacity) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Queues <paramref name="id"/> for announcement (the handler calls it for each shard newly kept).</summary>
    public void Held(ShardId id) => _fresh.Writer.TryWrite(id);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var spacing = TimeSpan.FromSeconds(1 / settings.AnnouncementsPerSecond);
        var slots = new AsyncGate(InFlight);
        IAsyncEnumerator<ShardInfo>? pass = null;
        var passStarted = time.GetUtcNow();
        var nextPass = passStarted + settings.ReannounceInterval;
        long passCount = 0;
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (settings.AnnouncementGather > TimeSpan.Zero && _fresh.Reader.TryPeek(out _))
                {
                    // Let the rest of a burst arrive: what is kept meanwhile goes out under the same signatures.
                    await Task.Delay(settings.AnnouncementGather, time, stoppingToken).ConfigureAwait(true);
                }

                var next = new List<ShardId>();
                while (next.Count < IdsPerAnnouncement && _fresh.Reader.TryRead(out var fresh))
                {
                    next.Add(fresh);
                }

                if (next.Count == 0 && pass is null)
                {
                    if (time.GetUtcNow() < nextPass)
                    {
                        // Idle until a shard is kept or the next pass is due: no timer ticks while there is nothing to say.
                        await WaitForFreshAsync(nextPass - time.GetUtcNow(), stoppingToken).ConfigureAwait(true);
                        continue;
                    }

                    pass = store.Store.EnumerateAsync(stoppingToken).GetAsyncEnumerator(stoppingToken);
                    passStarted = time.GetUtcNow();
                    passCount = 0;
                }

                while (next.Count == 0 && pass is not null)
                {
                    while (next.Count < IdsPerAnnouncement && await pass.MoveNextAsync().ConfigureAwait(true))
                    {
                        next.Add(pass.Current.Id);
                        passCount++;
                    }

                    if (next.Count < IdsPerAnnouncement)
                    {
                        await pass.DisposeAsync().ConfigureAwait(true);
                        pass = null;
                        var took = time.GetUtcNow() - passStarted;
                        if (took > settings.ReannounceInterval)
                        {
                            Log.ShardAnnouncementsOverran(logger, passCount, took);
                        }

                        nextPass = passStarted + settings.ReannounceInterval;
                    }
                }

                if (next.Count > 0)
                {
                    await slots.WaitAsync(stoppingToken).ConfigureAwait(true);
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(AnnounceAsync(next, slots, stoppingToken));
                    // The rate: one announcement started per spacing, however many are waiting; shards kept meanwhile join the next one.
                    await Task.Delay(spacing, time, stoppingToken).ConfigureAwait(true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (pass is not null)
            {
                await pass.DisposeAsync().ConfigureAwait(true);
            }

            await Task.WhenAll(running).ConfigureAwait(true);
        }
    }

    private async Task WaitForFreshAsync(TimeSpan atMost, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(atMost > TimeSpan.Zero ? atMost : TimeSpan.Zero, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await _fresh.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The next pass is due.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task AnnounceAsync(List<ShardId> ids, AsyncGate slots, CancellationToken stoppingToken)
    {
        try
        {
            await providers.AnnounceAsync(ids, stoppingToken).ConfigureAwait(true);
            metrics.Announced(ids.Count);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An announcement that failed (no contacts yet, every peer down) is made again by the next pass.
            Log.ShardAnnouncementFailed(logger, ids[0], e.Message);
        }
        finally
        {
            slots.Release();
        }
    }
}
