using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Shards;

/// <summary>
/// The owner's side of <c>shard/1</c>: places a shard on holders and keeps their checked receipts
/// durably, fetches shards back (verified), and audits holders with the challenges prepared at store
/// time. Operations on one shard run one at a time, so a challenge is never spent twice.
/// </summary>
public sealed class ShardOwner
{
    private readonly ShardExchangeClient _client;
    private readonly Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> _connect;
    private readonly IShardHolderSelector _selector;
    private readonly IOwnedShardBook _book;
    private readonly IShardStore _localStore;
    private readonly ShardExchangeOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<Span<byte>> _fillNonce;
    private readonly ShardExchangeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ShardFetcher _fetcher;
    private readonly ShardLocks _locks;
    private readonly IShardProviders? _providers;
    private readonly IInteractionObserver _interactions;

    /// <summary>
    /// Creates the owner side. <paramref name="fillNonce"/> fills audit nonces: a CSPRNG in a daemon, a seeded source in a test.
    /// <paramref name="locks"/> are shared with the owner's maintenance (null: this owner's own); <paramref name="providers"/> finds
    /// holders through the DHT's provider records (null: the book and the selector only); <paramref name="interactions"/> is told
    /// how every store, probe, audit, renewal and pull with a holder ended.
    /// </summary>
    public ShardOwner(
        ShardExchangeClient client,
        Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect,
        IShardHolderSelector selector,
        IOwnedShardBook book,
        IShardStore localStore,
        int maxShardBytes,
        ShardExchangeOptions options,
        TimeProvider time,
        Action<Span<byte>> fillNonce,
        ShardExchangeMetrics metrics,
        ILogger logger,
        ShardLocks? locks = null,
        IShardProviders? providers = null,
        IInteractionObserver? interactions = null)
    {
        _client = client;
        _connect = connect;
        _selector = selector;
        _book = book;
        _localStore = localStore;
        _options = options;
        _time = time;
        _fillNonce = fillNonce;
        _metrics = metrics;
        _logger = logger;
        _fetcher = new ShardFetcher(client, connect, maxShardBytes);
        _locks = locks ?? new ShardLocks();
        _providers = providers;
        _interactions = interactions ?? InteractionObservers.None;
        Care = new OwnedShardCare(client.Self, client, connect, selector, book, localStore, _fetcher, options, time, fillNonce, metrics, _locks, logger)
        {
            Observed = ReportHolderOutcome,
        };
    }

    /// <summary>The maintenance operations on this owner's shards (probe, audit, renew, repair), under the same locks.</summary>
    public OwnedShardCare Care { get; }

    /// <summary>Told the id of each shard whose copy this owner keeps on probation (<see cref="ShardProbation"/>): the node announces it as a provider.</summary>
    public Action<ShardId>? CopyKept
    {
        get => Care.Probation.Kept;
        set => Care.Probation.Kept = value;
    }

    /// <summary>Told the id of each shard a put placed on at least one holder (the maintenance starts watching it).</summary>
    public Action<ShardId>? Placed { get; set; }

    /// <summary>
    /// Places <paramref name="data"/> on up to <see cref="ShardExchangeOptions.Replicas"/> holders
    /// (counting those it already has), passing over peers that refuse. Each receipt is written to the
    /// book as soon as it is checked; the owner keeps its own copy until every holder is vetted (<see cref="ShardProbation"/>).
    /// </summary>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public Task<PutOutcome> PutAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var id = ShardId.Compute(data.Span);
        return PutAsync(id, data, _selector.Candidates(id), _options.Replicas, cancellationToken);
    }

    /// <summary>The selector's candidates for <paramref name="id"/>, best first (callers that spread related shards reorder them).</summary>
    public IReadOnlyList<HolderCandidate> Candidates(ShardId id) => _selector.Candidates(id);

    /// <summary>
    /// As <see cref="PutAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, asking <paramref name="candidates"/>
    /// in the order given until <paramref name="replicas"/> holders keep the shard whose id is <paramref name="id"/>.
    /// </summary>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<PutOutcome> PutAsync(ShardId id, ReadOnlyMemory<byte> data, IEnumerable<HolderCandidate> candidates, int replicas, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            var shard = _book.Load(id) ?? new OwnedShard(id, data.Length);
            var attempts = new List<HolderAttempt>();
            var expiresAt = _time.GetUtcNow() + _options.HoldDuration;
            // The holders still missing are asked at once, not one after another: a manifest placed on
            // m + 1 holders then costs one round of store and receipt, not m + 1 (docs/FILES.md). A refusal
            // moves on to the next candidate; the book is saved after each receipt, under the lock.
            var asked = new HashSet<PeerId>();
            using var next = candidates.GetEnumerator();
            var running = new List<Task>();
            try
            {
                while (true)
                {
                    while (shard.Holders.Count + running.Count < replicas && next.MoveNext())
                    {
                        var candidate = next.Current;
                        if (shard.Holders.Exists(h => h.Peer == candidate.Peer) || !asked.Add(candidate.Peer))
                        {
                            continue;
                        }

                        running.Add(StoreOnAsync(candidate));
                    }

                    if (running.Count == 0)
                    {
                        break;
                    }

                    var finished = await Task.WhenAny(running);
                    running.Remove(finished);
                    await finished;
                }
            }
            catch
            {
                // The book could not be written: let the stores still running end before the lock is let go.
                await Task.WhenAll(running).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }

            async Task StoreOnAsync(HolderCandidate candidate)
            {
                var started = _time.GetTimestamp();
                try
                {
                    var connection = await _connect(candidate.Address, cancellationToken);
                    var receipt = await _client.StoreAsync(connection, id, data, expiresAt, cancellationToken);
                    lock (shard)
                    {
                        shard.Holders.Add(new ShardHolding
                        {
                            Peer = candidate.Peer,
                            Address = candidate.Address.ToString(),
                            Receipt = receipt.Encode(),
                            // Each is a pass over the shard on the storing node; once spent, more are prepared from the bytes read back.
                            Challenges = ShardAudit.Prepare(id, data.Span, _options.AuditChallengesAtStore, _fillNonce),
                            ReceivedAt = _time.GetUtcNow(),
                            Vetted = Care.Probation.VettedAtReceipt,
                        });
                        _book.Save(shard);
                        attempts.Add(new HolderAttempt(candidate.Peer, ShardRefusal.None, "stored; receipt checked"));
                    }

                    ReportStore(candidate.Peer, InteractionResult.Succeeded, data.Length, started);
                }
                catch (ShardExchangeException e)
                {
                    if (e.Rejection != ReceiptRejection.None)
                    {
                        _metrics.ReceiptRejected(e.Rejection);
                    }

                    lock (shard)
                    {
                        attempts.Add(new HolderAttempt(candidate.Peer, e.Refusal, e.Message));
                    }

                    ReportStore(candidate.Peer, ShardOutcomes.Classify(e, audit: false), data.Length, started);
                }
                catch (TransportException e)
                {
                    lock (shard)
                    {
                        attempts.Add(new HolderAttempt(candidate.Peer, ShardRefusal.Failed, e.Message));
                    }

                    ReportStore(candidate.Peer, e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable, data.Length, started);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    lock (shard)
                    {
                        attempts.Add(new HolderAttempt(candidate.Peer, ShardRefusal.Failed, "timed out"));
                    }

                    ReportStore(candidate.Peer, InteractionResult.TimedOut, data.Length, started);
                }
            }

            foreach (var a in attempts)
            {
                Log.ShardHolderOutcome(_logger, a.Peer, id, a.Detail);
            }

            // Kept until every holder is vetted: holders that drop the shard right after acknowledging are repaired from it.
            if (shard.Holders.Count > 0 && await Care.Probation.KeepAsync(shard, data, cancellationToken))
            {
                _book.Save(shard);
            }

            if (shard.Holders.Count > 0)
            {
                Placed?.Invoke(id);
            }

            return new PutOutcome(id, data.Length, shard.Holders, attempts);
        }
    }

    /// <summary>
    /// The shard's bytes, verified: from this node's own store when it holds them, else from the
    /// holders the DHT's provider records name, then those the book names, then the peers the selector proposes.
    /// </summary>
    /// <exception cref="ShardExchangeException">Nobody gave the shard (NotFound).</exception>
    /// <exception cref="ShardBookException">The book cannot be read.</exception>
    public async Task<(byte[] Data, IReadOnlyList<HolderAttempt> Attempts)> GetAsync(ShardId id, CancellationToken cancellationToken) =>
        await GetAsync(id, HoldsLocally(id) ? [] : await LocateAsync(id, cancellationToken), cancellationToken);

    /// <summary>Whether this node's own store holds the shard (then a get reads it there, asking nobody).</summary>
    public bool HoldsLocally(ShardId id) => _localStore.TryGetInfo(id, out _);

    /// <summary>The holders known to keep the shard: those the DHT's provider records name, then those this node's book names.</summary>
    /// <exception cref="ShardBookException">The book cannot be read.</exception>
    public async Task<IReadOnlyList<HolderCandidate>> LocateAsync(ShardId id, CancellationToken cancellationToken)
    {
        var holders = new List<HolderCandidate>();
        if (_providers is not null)
        {
            holders.AddRange(await _providers.FindAsync(id, cancellationToken));
        }

        if (_book.Load(id) is { } shard)
        {
            foreach (var h in shard.Holders)
            {
                if (!holders.Exists(c => c.Peer == h.Peer) && TransportAddress.TryParse(h.Address, out var address, out _))
                {
                    holders.Add(new HolderCandidate(h.Peer, address));
                }
            }
        }

        return holders;
    }

    /// <summary>
    /// As <see cref="GetAsync(ShardId, CancellationToken)"/>, asking <paramref name="holders"/> in the order given
    /// (a caller that ranked them, by round-trip time for one) before the peers the selector proposes.
    /// </summary>
    /// <exception cref="ShardExchangeException">Nobody gave the shard (NotFound).</exception>
    public async Task<(byte[] Data, IReadOnlyList<HolderAttempt> Attempts)> GetAsync(ShardId id, IReadOnlyList<HolderCandidate> holders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(holders);
        if (_localStore.TryGetInfo(id, out var info))
        {
            var local = new byte[info.Size];
            if (_localStore.Read(id, local).Status == ShardReadStatus.Found)
            {
                return (local, []);
            }
        }

        var asked = new List<HolderCandidate>(holders);
        foreach (var c in _selector.Candidates(id))
        {
            if (!asked.Exists(h => h.Peer == c.Peer))
            {
                asked.Add(c);
            }
        }

        var started = _time.GetTimestamp();
        try
        {
            var fetched = await _fetcher.FetchAsync(id, asked, cancellationToken);
            ShardOutcomes.ReportFetch(_interactions, fetched.Attempts, _time.GetElapsedTime(started));
            return fetched;
        }
        catch (ShardExchangeException e) when (e.Attempts.Count > 0)
        {
            // A fetch nobody served still says how each holder asked did: the one that sent bad bytes is charged all the same.
            ShardOutcomes.ReportFetch(_interactions, e.Attempts, _time.GetElapsedTime(started));
            throw;
        }
    }

    /// <summary>
    /// Audits every holder of the shard once, each with a challenge not used before (spent, and the
    /// book saved, before it is sent, so no nonce is ever sent twice), and records each result
    /// (<see cref="OwnedShardCare.AuditAsync"/>).
    /// </summary>
    /// <exception cref="ShardExchangeException">This node did not place the shard (NotFound).</exception>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<OwnedShard> AuditAsync(ShardId id, CancellationToken cancellationToken) => (await Care.AuditAsync(id, cancellationToken)).Shard;

    /// <summary>The book's record of the shard, or null when this node did not place it.</summary>
    /// <exception cref="ShardBookException">The book cannot be read.</exception>
    public OwnedShard? Status(ShardId id) => _book.Load(id);

    private void ReportStore(PeerId peer, InteractionResult? result, long bytes, long started)
    {
        if (result is { } r)
        {
            ShardOutcomes.Report(_interactions, peer, ShardOutcomes.Store, r, bytes, _time.GetElapsedTime(started));
        }
    }

    private void ReportHolderOutcome(HolderOutcome outcome) =>
        ShardOutcomes.Report(_interactions, outcome.Holder, ShardOutcomes.OperationOf(outcome.Check), ShardOutcomes.ResultOf(outcome.Check, outcome.Verdict), 0, outcome.Latency);
}
