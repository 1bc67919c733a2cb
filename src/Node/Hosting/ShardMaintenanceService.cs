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
/// injected clock: every <see cref="ShardExchangeOptions.ProbeInterval"/> one batched probe, naming every shard it keeps for
/// this owner, to each distinct holder that is due (<see cref="HolderLiveness"/>: no open connection to it, or its last answer
/// <see cref="ShardExchangeOptions.PresenceInterval"/> old), and a probe at once to a holder whose connection closes;
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
    private HolderLiveness? _liveness;
    private CancellationToken _stopping;

    /// <summary>What is watched (for status and tests).</summary>
    public WatchedShards Watched => exchange.Watched;

    /// <summary>The holders whose connection vouches for them between probes (for status and tests); null before the owner's maintenance starts.</summary>
    public HolderLiveness? Liveness => _liveness;

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
            _liveness = new HolderLiveness(time, options.Value.PresenceInterval, OnHolderConnectionClosed);
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

        _stopping = stoppingToken;

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
        // Its connection no longer vouches for it: the next round asks it (an answer makes it a replica again).
        _liveness?.Forget(peer);
        var shards = Watched.SuspectHolder(peer, SuspectReason.LeftRoutingTable, time.GetUtcNow());
        if (shards.Count > 0)
        {
            Suspected(shards, peer, SuspectReason.LeftRoutingTable);
            QueueRepairsDue();
        }
    }

    /// <summary>
    /// The connection a holder last answered over closed (the holder crashed or left, the path failed, or either side let it
    /// go idle): probe it at once, off the closing thread. Unreachable, it is suspected now rather than at the next round;
    /// reachable, it is watched over its new connection.
    /// </summary>
    private void OnHolderConnectionClosed(PeerId holder)
    {
        if (_care is { } care && !_stopping.IsCancellationRequested)
        {
            _ = ProbeAtOnceAsync(care, holder, _stopping);
        }
    }

    private async Task ProbeAtOnceAsync(OwnedShardCare care, PeerId holder, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            await SurviveAsync(async () =>
            {
                if (Watched.ProbeTarget(holder) is { } target)
                {
                    exchange.Metrics.ProbeOnClose();
                    var asked = time.GetTimestamp();
                    Apply(holder, await care.ProbeAsync(target.Holder, target.Address, target.Shards, stoppingToken).ConfigureAwait(true), asked);
                    QueueRepairsDue();
                }
            }, stoppingToken).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
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
        var liveness = _liveness!;
        var (targets, holders) = Watched.ProbeTargets(liveness.IsDue);
        liveness.Retain(holders);
        for (var start = 0; start < targets.Count; start += ProbeConcurrency)
        {
            var batch = targets.Skip(start).Take(ProbeConcurrency).ToList();
            var asked = time.GetTimestamp();
            var results = await Task.WhenAll(batch.Select(t => care.ProbeAsync(t.Holder, t.Address, t.Shards, stoppingToken))).ConfigureAwait(true);
            for (var i = 0; i < batch.Count; i++)
            {
                Apply(batch[i].Holder, results[i], asked);
            }
        }

        QueueRepairsDue();
    }

    /// <summary>Takes in one probe's answer: a holder that answered is a replica again and watched over that connection; one that did not is suspected of all its shards.</summary>
    private void Apply(PeerId holder, ProbeResult result, long asked)
    {
        var now = time.GetUtcNow();
        switch (result.Reached)
        {
            case HolderVerdict.Passed:
                Watched.Answered(holder);
                if (result.Connection is { } connection)
                {
                    _liveness!.Answered(holder, connection, asked);
                }

                break;
            case HolderVerdict.NoAnswer:
                _liveness!.Forget(holder);
                Suspected(Watched.SuspectHolder(holder, SuspectReason.NotAnswering, now), holder, SuspectReason.NotAnswering);
                break;
            default:
                // Wrong or refused: it answered, but not as a holder should; ask it again next round.
                _liveness!.Forget(holder);
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
