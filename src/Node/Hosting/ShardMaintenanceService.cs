using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Crypto;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Hosting;

/// <summary>
/// The owner's maintenance of the shards it placed (docs/PROTOCOL.md, "Owner maintenance"), on the
/// injected clock: every <see cref="ShardExchangeOptions.ProbeInterval"/> one batched probe per distinct holder, naming
/// every shard it keeps for this owner;
/// every <see cref="ShardExchangeOptions.AuditInterval"/> an audit of every holder and the renewal of
/// receipts that expire within <see cref="ShardExchangeOptions.RenewBefore"/>; and up to
/// <see cref="ShardExchangeOptions.MaxConcurrentRepairs"/> repairs at once, started no faster than
/// <see cref="ShardExchangeOptions.RepairBytesPerSecond"/>, for every shard with a suspect holder.
/// The owner is responsible for its shards: when it is gone nobody repairs or renews them, and holders
/// drop them when their receipts expire. Besides probes and audits, a holder is suspected the moment the
/// owner's DHT routing table evicts it as gone (<paramref name="dht"/>, when given).
/// </summary>
public sealed class ShardMaintenanceService(
    IOptions<ShardExchangeOptions> options, ShardExchangeService exchange, TimeProvider time, ILogger<ShardMaintenanceService> logger,
    DhtService? dht = null) : INodePart
{
    /// <summary>Most probes in flight at once.</summary>
    private const int ProbeConcurrency = 64;

    private readonly Channel<ShardId> _repairs = Channel.CreateUnbounded<ShardId>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly object _paceGate = new();
    private DateTimeOffset _nextRepairAt;
    private OwnedShardCare? _care;
    private Overlay.Dht.DhtNode? _evictions;

    /// <summary>What is watched (for status and tests).</summary>
    public WatchedShards Watched => exchange.Watched;

    /// <summary>
    /// The retention policy: whether an owned shard is still wanted. Shards it rejects are neither renewed
    /// nor repaired, so their holders drop them at expiry. Default: every shard is kept.
    /// </summary>
    public Func<ShardId, bool> Retain { get; set; } = _ => true;

    /// <summary>Told each repair as it ends (the simulator measures detection and repair times from these).</summary>
    public Action<RepairRecord>? RepairObserved { get; set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (exchange.Owner is { } owner)
        {
            _care = owner.Care;
            owner.Placed = Watch;
            if (dht?.Node is { } node)
            {
                _evictions = node;
                node.ContactEvicted += OnContactEvicted;
            }
        }

        return Task.CompletedTask;
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (_care is not { } care)
        {
            return;
        }

        try
        {
            foreach (var id in care.Ids())
            {
                Watch(id);
            }
        }
        catch (ShardBookException e)
        {
            Log.ShardMaintenanceFailed(logger, e.Message);
        }

        var loops = new List<Task> { ProbeLoopAsync(care, stoppingToken), AuditLoopAsync(care, stoppingToken) };
        for (var i = 0; i < options.Value.MaxConcurrentRepairs; i++)
        {
            loops.Add(RepairLoopAsync(care, stoppingToken));
        }

        try
        {
            await Task.WhenAll(loops).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_evictions is { } node)
        {
            node.ContactEvicted -= OnContactEvicted;
            _evictions = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The routing table evicted <paramref name="peer"/> as gone: every shard it keeps for this owner is suspected at
    /// once, without waiting for the next probe. Runs under the DHT's table lock, so it only marks and queues; a
    /// holder that answers a later probe is a replica again (<see cref="WatchedShards.Answered"/>).
    /// </summary>
    private void OnContactEvicted(PeerId peer)
    {
        var shards = Watched.SuspectHolder(peer, SuspectReason.LeftRoutingTable, time.GetUtcNow());
        if (shards.Count > 0)
        {
            Suspected(shards, peer, SuspectReason.LeftRoutingTable);
            QueueRepairsDue();
        }
    }

    private void Watch(ShardId id)
    {
        try
        {
            if (_care?.Load(id) is { } shard)
            {
                Watched.Refresh(shard);
            }
        }
        catch (ShardBookException e)
        {
            Log.ShardMaintenanceFailed(logger, e.Message);
        }
    }

    private async Task ProbeLoopAsync(OwnedShardCare care, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(true))
        {
            await SurviveAsync(() => ProbeRoundAsync(care, stoppingToken), stoppingToken).ConfigureAwait(true);
        }
    }

    private async Task ProbeRoundAsync(OwnedShardCare care, CancellationToken stoppingToken)
    {
        var targets = Watched.ProbeTargets();
        for (var start = 0; start < targets.Count; start += ProbeConcurrency)
        {
            var batch = targets.Skip(start).Take(ProbeConcurrency).ToList();
            var results = await Task.WhenAll(batch.Select(t => care.ProbeAsync(t.Holder, t.Address, t.Shards, stoppingToken))).ConfigureAwait(true);
            var now = time.GetUtcNow();
            for (var i = 0; i < batch.Count; i++)
            {
                var holder = batch[i].Holder;
                var result = results[i];
                switch (result.Reached)
                {
                    case HolderVerdict.Passed:
                        Watched.Answered(holder);
                        break;
                    case HolderVerdict.NoAnswer:
                        Suspected(Watched.SuspectHolder(holder, SuspectReason.NotAnswering, now), holder, SuspectReason.NotAnswering);
                        break;
                }

                // Only the shards it said it lost (or answered wrongly about) are suspect: it still keeps the others.
                foreach (var (shard, _) in result.Lost)
                {
                    if (Watched.Suspect(shard, holder, SuspectReason.Missing, now))
                    {
                        Suspected([shard], holder, SuspectReason.Missing);
                    }
                }
            }
        }

        QueueRepairsDue();
    }

    private async Task AuditLoopAsync(OwnedShardCare care, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.AuditInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(true))
        {
            await SurviveAsync(() => AuditRoundAsync(care, stoppingToken), stoppingToken).ConfigureAwait(true);
        }
    }

    private async Task AuditRoundAsync(OwnedShardCare care, CancellationToken stoppingToken)
    {
        foreach (var id in Watched.Ids())
        {
            try
            {
                var (_, verdicts) = await care.AuditAsync(id, stoppingToken).ConfigureAwait(true);
                SuspectFrom(id, verdicts);
                if (Retain(id))
                {
                    SuspectFrom(id, await care.RenewAsync(id, stoppingToken).ConfigureAwait(true));
                }

                Watch(id);
            }
            catch (Exception e) when (e is ShardBookException or ShardExchangeException)
            {
                Log.ShardMaintenanceFailed(logger, e.Message);
            }
        }

        foreach (var _ in Watched.SuspectExpired(time.GetUtcNow()))
        {
            exchange.Metrics.Suspected(SuspectReason.Expired);
        }

        QueueRepairsDue();
    }

    private void SuspectFrom(ShardId id, IReadOnlyList<(PeerId Holder, HolderVerdict Verdict)> verdicts)
    {
        var now = time.GetUtcNow();
        foreach (var (holder, verdict) in verdicts)
        {
            var reason = verdict switch
            {
                HolderVerdict.Wrong => SuspectReason.AuditFailed,
                HolderVerdict.Missing => SuspectReason.Missing,
                HolderVerdict.NoAnswer => SuspectReason.NotAnswering,
                _ => (SuspectReason?)null,
            };
            if (reason is { } r && Watched.Suspect(id, holder, r, now))
            {
                Suspected([id], holder, r);
            }
        }
    }

    private void Suspected(IReadOnlyList<ShardId> shards, PeerId holder, SuspectReason reason)
    {
        foreach (var id in shards)
        {
            exchange.Metrics.Suspected(reason);
            Log.ShardHolderSuspected(logger, holder, id, reason);
        }
    }

    private void QueueRepairsDue()
    {
        if (!options.Value.RepairEnabled)
        {
            return;
        }

        // A repair that found no new holder is tried again after ten probe rounds.
        foreach (var id in Watched.TakeRepairsDue(time.GetUtcNow(), options.Value.ProbeInterval * 10, Retain))
        {
            _repairs.Writer.TryWrite(id);
        }
    }

    private async Task RepairLoopAsync(OwnedShardCare care, CancellationToken stoppingToken)
    {
        // WaitToReadAsync awaited here, not ReadAllAsync: the latter resumes inside the channel on the thread
        // pool, outside a simulator's scheduler.
        while (await _repairs.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(true))
        {
            if (!_repairs.Reader.TryRead(out var id))
            {
                continue;
            }

            await SurviveAsync(() => RepairOneAsync(care, id, stoppingToken), stoppingToken).ConfigureAwait(true);
        }
    }

    private async Task RepairOneAsync(OwnedShardCare care, ShardId id, CancellationToken stoppingToken)
    {
        var (suspects, since, size) = Watched.SuspectsOf(id);
        if (suspects.Count == 0)
        {
            Watched.RepairEnded(id, time.GetUtcNow());
            return;
        }

        await PaceAsync(size, stoppingToken).ConfigureAwait(true);
        DateTimeOffset? started = null;
        RepairResult result;
        try
        {
            // Holders caught dropping, gone, or just replaced are not candidates for one AuditInterval: closest placement
            // ranks them as near as before, and would hand the repair back to the holder it replaces.
            var avoid = Watched.Avoided(time.GetUtcNow(), options.Value.AuditInterval);
            result = await care.RepairAsync(id, suspects, () =>
            {
                started = time.GetUtcNow();
                exchange.Metrics.RepairStarted();
            }, stoppingToken, avoid).ConfigureAwait(true);
            if (result.SuspectsRemoved)
            {
                Watched.Replaced(suspects, time.GetUtcNow());
            }
        }
        catch (ShardBookException e)
        {
            result = new RepairResult(0, 0, e.Message);
        }

        if (started is not null)
        {
            exchange.Metrics.RepairEnded(result.Added > 0, result.BytesMoved);
        }

        Log.ShardRepaired(logger, id, result.Added, result.Detail);
        Watch(id);
        var now = time.GetUtcNow();
        Watched.RepairEnded(id, now);
        RepairObserved?.Invoke(new RepairRecord(id, since, started, now, result));
    }

    /// <summary>Runs one round of a loop; a round that fails (a bug, or a part torn down under it) is logged and the loop goes on.</summary>
    private async Task SurviveAsync(Func<Task> round, CancellationToken stoppingToken)
    {
        try
        {
            await round().ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // One failed round must not end the owner's maintenance for good.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ShardMaintenanceRoundFailed(logger, e.GetType().Name, e.Message);
        }
    }

    /// <summary>The pace rule: each repair reserves size / RepairBytesPerSecond of the repair budget; it starts once the repairs before it have used theirs.</summary>
    private async Task PaceAsync(int size, CancellationToken stoppingToken)
    {
        TimeSpan wait;
        lock (_paceGate)
        {
            var now = time.GetUtcNow();
            var start = _nextRepairAt > now ? _nextRepairAt : now;
            _nextRepairAt = start + TimeSpan.FromSeconds((double)Math.Max(size, 1) / options.Value.RepairBytesPerSecond);
            wait = start - now;
        }

        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, stoppingToken).ConfigureAwait(true);
        }
    }
}
