using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The owner's maintenance operations on one shard (docs/PROTOCOL.md, "Owner maintenance"): probe a
/// holder, audit every holder (preparing fresh challenges when a holder's run out), renew receipts
/// before they expire, and repair by having a new holder pull the shard from a surviving one. Each
/// runs under the shard's lock, shared with <see cref="ShardOwner"/>, and saves the book before it
/// returns; an audit holds the lock only while it reads or writes the book, so a repair never waits for
/// a holder an audit is waiting on. Every answer a holder gives is published through <see cref="Observed"/>.
/// </summary>
public sealed class OwnedShardCare
{
    private readonly ShardExchangeClient _client;
    private readonly HolderProbe _probe;
    private readonly Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> _connect;
    private readonly IOwnedShardBook _book;
    private readonly IShardStore _localStore;
    private readonly ShardFetcher _fetcher;
    private readonly ShardExchangeOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<Span<byte>> _fillNonce;
    private readonly ShardExchangeMetrics _metrics;
    private readonly ShardLocks _locks;
    private readonly ILogger _logger;
    private readonly ShardProbation _probation;
    private readonly ShardRepair _repair;

    /// <summary>Creates the operations over the owner's parts (the same ones its <see cref="ShardOwner"/> uses).</summary>
    public OwnedShardCare(
        PeerId self, ShardExchangeClient client, Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect, IShardHolderSelector selector,
        IOwnedShardBook book, IShardStore localStore, ShardFetcher fetcher, ShardExchangeOptions options, TimeProvider time, Action<Span<byte>> fillNonce,
        ShardExchangeMetrics metrics, ShardLocks locks, ILogger logger)
    {
        _client = client;
        _probe = new HolderProbe(new ShardExchangeClient(self, options.ProbeTimeout, time), connect, metrics, time, (holder, id, verdict, started) => Observe(holder, id, HolderCheck.Probe, verdict, started));
        _connect = connect;
        _book = book;
        _localStore = localStore;
        _fetcher = fetcher;
        _options = options;
        _time = time;
        _fillNonce = fillNonce;
        _metrics = metrics;
        _locks = locks;
        _logger = logger;
        // The copy outlives two audit rounds past the period: each round renews it while a holder is not vetted.
        _probation = new ShardProbation(localStore, options.ProbationPeriod, options.ProbationPeriod + (2 * options.AuditInterval), time, metrics, logger);
        _repair = new ShardRepair(self, client, connect, selector, book, localStore, options, time, locks, _probation, logger, (holder, id, verdict, started) => Observe(holder, id, HolderCheck.Pull, verdict, started));
    }

    /// <summary>The owner's copies kept while holders are on probation (shared with <see cref="ShardOwner"/>).</summary>
    internal ShardProbation Probation => _probation;

    /// <summary>Told every answer (or silence) of a holder: the seam where trust learns how holders behave.</summary>
    public Action<HolderOutcome>? Observed { get; set; }

    /// <summary>The owner's record of the shard, or null when it placed none.</summary>
    /// <exception cref="ShardBookException">The book cannot be read.</exception>
    public OwnedShard? Load(ShardId id) => _book.Load(id);

    /// <summary>The ids of every shard in the owner's book.</summary>
    /// <exception cref="ShardBookException">The book cannot be listed.</exception>
    public IReadOnlyList<ShardId> Ids() => _book.Ids();

    /// <summary>
    /// Asks <paramref name="holder"/> in one batched probe whether it still keeps each of <paramref name="shards"/>
    /// (ids ascending, with the size each should have): <see cref="HolderProbe.ProbeAsync"/>.
    /// </summary>
    public Task<ProbeResult> ProbeAsync(PeerId holder, TransportAddress address, IReadOnlyList<(ShardId Id, int Size)> shards, CancellationToken cancellationToken) =>
        _probe.ProbeAsync(holder, address, shards, cancellationToken);

    /// <summary>
    /// Audits every holder of the shard once with an unspent challenge (spent, and the book saved, before
    /// it is sent). A holder whose challenges have run out gets <see cref="ShardExchangeOptions.AuditChallengesPerHolder"/>
    /// fresh ones, computed from the bytes read back (the owner's own copy, else fetched from the holders and
    /// verified against the id): one shard read per that many audits. Returns the book's entry after the audit and
    /// each holder's verdict; a holder a repair replaced meanwhile gets its verdict, and its entry is gone.
    /// </summary>
    /// <exception cref="ShardExchangeException">This node did not place the shard (NotFound).</exception>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<(OwnedShard Shard, IReadOnlyList<(PeerId Holder, HolderVerdict Verdict)> Verdicts)> AuditAsync(ShardId id, CancellationToken cancellationToken)
    {
        // The shard's lock is held only to read and write the book, never while a holder is awaited: a holder that
        // died mid-audit costs the audit a timeout, and a repair replacing that very holder must not wait for it.
        // Each step below reloads the book and works on the holders it still names.
        var shard = await LoadAsync(id, cancellationToken) ?? throw new ShardExchangeException(ShardRefusal.NotFound, $"This node did not place shard {id}.");
        IReadOnlyDictionary<PeerId, HolderAttempt>? readBack = null;
        var readBackStarted = _time.GetTimestamp();
        if (shard.Holders.Exists(h => h.Challenges.Count == 0))
        {
            readBack = await RefillAsync(shard, cancellationToken);
        }

        var verdicts = new List<(PeerId, HolderVerdict)>();
        foreach (var peer in shard.Holders.ConvertAll(h => h.Peer))
        {
            // Spent, and the book saved, before it is sent: a challenge is never asked twice.
            var auditedAt = _time.GetUtcNow();
            var (address, challenge, outOfChallenges) = await SpendChallengeAsync(id, peer, cancellationToken);
            if (address is null && challenge is null && !outOfChallenges)
            {
                continue;
            }

            // A holder out of challenges that could not send the shard back is judged on that, as on a fresh challenge.
            HolderAttempt failed = default;
            var didNotSendBack = outOfChallenges && readBack is not null && readBack.TryGetValue(peer, out failed);
            var (verdict, detail) = didNotSendBack ? ReadBackVerdict(failed) : await AuditOneAsync(id, peer, address, challenge, cancellationToken);
            if (didNotSendBack)
            {
                Observe(peer, id, HolderCheck.Audit, verdict, readBackStarted);
            }

            await RecordAuditAsync(id, peer, verdict, detail, auditedAt, cancellationToken);
            if (detail is not null)
            {
                _metrics.Audited(verdict == HolderVerdict.Passed);
                verdicts.Add((peer, verdict));
            }

            Log.ShardHolderOutcome(_logger, peer, id, verdict == HolderVerdict.Passed ? "audit passed" : "audit failed: " + detail);
        }

        return (await ReleaseIfVettedAsync(id, cancellationToken) ?? shard, verdicts);
    }

    /// <summary>Ends the owner's copy's probation once its holders are vetted (<see cref="ShardProbation.ReleaseIfVettedAsync"/>); returns the book's entry.</summary>
    private async Task<OwnedShard?> ReleaseIfVettedAsync(ShardId id, CancellationToken cancellationToken)
    {
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            var shard = _book.Load(id);
            if (shard is not null && await _probation.ReleaseIfVettedAsync(shard, _options.Replicas, cancellationToken))
            {
                _book.Save(shard);
            }

            return shard;
        }
    }

    private async Task<OwnedShard?> LoadAsync(ShardId id, CancellationToken cancellationToken)
    {
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            return _book.Load(id);
        }
    }

    /// <summary>
    /// Takes the holder's next challenge out of the book (saved at once) with the address to ask it at; both null when the
    /// holder has left the book meanwhile, or when it is out of challenges (then <c>OutOfChallenges</c>).
    /// </summary>
    private async Task<(TransportAddress? Address, AuditChallenge? Challenge, bool OutOfChallenges)> SpendChallengeAsync(ShardId id, PeerId peer, CancellationToken cancellationToken)
    {
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            if (_book.Load(id) is not { } shard || shard.Holders.Find(h => h.Peer == peer) is not { } holding)
            {
                return (null, null, false);
            }

            if (holding.Challenges.Count == 0)
            {
                return (null, null, true);
            }

            var challenge = holding.Challenges[0];
            holding.Challenges.RemoveAt(0);
            _book.Save(shard);
            return (TransportAddress.TryParse(holding.Address, out var address, out _) ? address : null, challenge, false);
        }
    }

    /// <summary>
    /// Writes the audit's outcome into the holder's entry, if the holder is still in the book; an audit with a verdict counts
    /// towards the holder's probation (<paramref name="auditedAt"/>: when its challenge was taken).
    /// </summary>
    private async Task RecordAuditAsync(ShardId id, PeerId peer, HolderVerdict verdict, string? detail, DateTimeOffset auditedAt, CancellationToken cancellationToken)
    {
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            if (_book.Load(id) is { } shard && shard.Holders.Find(h => h.Peer == peer) is { } holding)
            {
                holding.LastAuditAt = _time.GetUtcNow();
                holding.LastAuditPassed = verdict == HolderVerdict.Passed;
                holding.LastAuditDetail = detail;
                if (detail is not null)
                {
                    _probation.Judge(shard, holding, verdict, auditedAt);
                }

                _book.Save(shard);
            }
        }
    }

    /// <summary>
    /// Renews every receipt of the shard that expires within <see cref="ShardExchangeOptions.RenewBefore"/>
    /// to now + <see cref="ShardExchangeOptions.HoldDuration"/>; the new receipt must be later than the old
    /// (higher sequence, no earlier expiry: else a replay, refused Stale). Returns each asked holder's verdict.
    /// </summary>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<IReadOnlyList<(PeerId Holder, HolderVerdict Verdict)>> RenewAsync(ShardId id, CancellationToken cancellationToken)
    {
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            var verdicts = new List<(PeerId, HolderVerdict)>();
            if (_book.Load(id) is not { } shard)
            {
                return verdicts;
            }

            var now = _time.GetUtcNow();
            foreach (var holding in shard.Holders)
            {
                if (!StorageReceipt.TryDecode(holding.Receipt, out var old, out _) || old.ExpiresAt - now > _options.RenewBefore
                    || !TransportAddress.TryParse(holding.Address, out var address, out _))
                {
                    continue;
                }

                var started = _time.GetTimestamp();
                var verdict = await AttemptAsync(async () =>
                {
                    var connection = await _connect(address, cancellationToken);
                    var renewed = await _client.RenewAsync(connection, id, shard.Size, now + _options.HoldDuration, cancellationToken);
                    if (renewed.Sequence <= old.Sequence || renewed.ExpiresAt < old.ExpiresAt)
                    {
                        _metrics.ReceiptRejected(ReceiptRejection.Stale);
                        return HolderVerdict.Wrong;
                    }

                    holding.Receipt = renewed.Encode();
                    return HolderVerdict.Passed;
                }, cancellationToken);
                Observe(holding.Peer, id, HolderCheck.Renew, verdict, started);
                _metrics.RenewalEnded(verdict == HolderVerdict.Passed);
                verdicts.Add((holding.Peer, verdict));
            }

            _book.Save(shard);
            return verdicts;
        }
    }

    /// <summary>Replaces the <paramref name="suspects"/> among the shard's holders: <see cref="ShardRepair.RepairAsync"/>.</summary>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public Task<RepairResult> RepairAsync(ShardId id, IReadOnlyCollection<PeerId> suspects, Action? started, CancellationToken cancellationToken, IReadOnlySet<PeerId>? avoid = null) =>
        _repair.RepairAsync(id, suspects, started, cancellationToken, avoid);


    private async Task<(HolderVerdict Verdict, string? Detail)> AuditOneAsync(ShardId id, PeerId peer, TransportAddress? address, AuditChallenge? challenge, CancellationToken cancellationToken)
    {
        if (challenge is null)
        {
            // The bytes could not be read back to prepare more: no verdict on the holder.
            return (HolderVerdict.Refused, null);
        }

        if (address is null)
        {
            return (HolderVerdict.NoAnswer, "the book holds no address for the holder");
        }

        var started = _time.GetTimestamp();
        string detail = "did not answer in time";
        var verdict = await AttemptAsync(async () =>
        {
            var connection = await _connect(address, cancellationToken);
            var answer = await _client.AuditAsync(connection, id, challenge.Nonce, cancellationToken);
            return ShardAudit.Matches(challenge.Answer, answer) ? HolderVerdict.Passed : HolderVerdict.Wrong;
        }, cancellationToken, e => detail = e.Message);
        Observe(peer, id, HolderCheck.Audit, verdict, started);
        return (verdict, verdict switch
        {
            HolderVerdict.Passed => "answered correctly",
            HolderVerdict.Wrong => "answered wrongly: it does not hold the shard's bytes now",
            _ => detail,
        });
    }

    /// <summary>
    /// Reads the shard back (the owner's own copy, else from its holders one at a time, each copy verified
    /// against the id) and prepares fresh challenges for every holder that has none. Returns how each holder
    /// asked failed to send the shard back: a holder out of challenges that cannot send the bytes it was
    /// paid to keep fails its audit on that (<see cref="ReadBackVerdict"/>), as it would a fresh challenge.
    /// </summary>
    private async Task<IReadOnlyDictionary<PeerId, HolderAttempt>> RefillAsync(OwnedShard shard, CancellationToken cancellationToken)
    {
        var failures = new Dictionary<PeerId, HolderAttempt>();
        if (!TryReadLocal(_localStore, shard, out var data))
        {
            // One holder per fetch, not a fetch resumed across holders: a copy that does not hash to the id is
            // then the fault of the one holder that sent it.
            foreach (var h in shard.Holders)
            {
                if (!TransportAddress.TryParse(h.Address, out var address, out _))
                {
                    continue;
                }

                try
                {
                    (data, _) = await _fetcher.FetchAsync(shard.Id, [new HolderCandidate(h.Peer, address)], cancellationToken);
                    break;
                }
                catch (ShardExchangeException e) when (e.Attempts.Count == 1)
                {
                    failures[h.Peer] = e.Attempts[0];
                }
            }

            if (data is null)
            {
                return failures;
            }
        }

        // Into the book as it is now: a repair may have changed the holders while the bytes were read back.
        using (await _locks.EnterAsync(shard.Id, cancellationToken))
        {
            if (_book.Load(shard.Id) is { } current)
            {
                foreach (var h in current.Holders.Where(h => h.Challenges.Count == 0))
                {
                    h.Challenges.AddRange(ShardAudit.Prepare(current.Id, data, _options.AuditChallengesPerHolder, _fillNonce));
                }

                _book.Save(current);
            }
        }

        return failures;
    }

    /// <summary>
    /// The audit verdict of a holder out of challenges that did not send the shard back: NotFound is Missing,
    /// bytes that are not the shard (Mismatch, Size) are Wrong, no answer is NoAnswer, any other refusal Refused.
    /// </summary>
    private static (HolderVerdict Verdict, string Detail) ReadBackVerdict(HolderAttempt failed)
    {
        var verdict = failed.Refusal switch
        {
            ShardRefusal.NotFound => HolderVerdict.Missing,
            ShardRefusal.Mismatch or ShardRefusal.Size => HolderVerdict.Wrong,
            ShardRefusal.Failed => HolderVerdict.NoAnswer,
            _ => HolderVerdict.Refused,
        };
        return (verdict, "did not send the shard back to prepare fresh challenges: " + failed.Detail);
    }

    /// <summary>Reads the owner's own copy of <paramref name="shard"/> out of <paramref name="store"/>; false when it keeps none of the right size.</summary>
    internal static bool TryReadLocal(IShardStore store, OwnedShard shard, out byte[]? data)
    {
        data = null;
        if (!store.TryGetInfo(shard.Id, out var info) || info.Size != shard.Size)
        {
            return false;
        }

        var bytes = new byte[shard.Size];
        if (store.Read(shard.Id, bytes).Status != ShardReadStatus.Found)
        {
            return false;
        }

        data = bytes;
        return true;
    }

    private void Observe(PeerId holder, ShardId id, HolderCheck check, HolderVerdict verdict, long started) =>
        Observed?.Invoke(new HolderOutcome(holder, id, check, verdict, _time.GetElapsedTime(started)));

    /// <summary>Runs one exchange with a holder and maps what went wrong to a verdict; only the caller's cancellation escapes (shared with <see cref="HolderProbe"/>).</summary>
    internal static async Task<HolderVerdict> AttemptAsync(Func<Task<HolderVerdict>> exchange, CancellationToken cancellationToken, Action<Exception>? failed = null)
    {
        try
        {
            return await exchange();
        }
        catch (ShardExchangeException e)
        {
            failed?.Invoke(e);
            return e.Refusal switch
            {
                ShardRefusal.NotFound => HolderVerdict.Missing,
                ShardRefusal.Mismatch or ShardRefusal.Size => HolderVerdict.Wrong,
                _ => HolderVerdict.Refused,
            };
        }
        catch (TransportException e)
        {
            failed?.Invoke(e);
            return HolderVerdict.NoAnswer;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            failed?.Invoke(e);
            return HolderVerdict.NoAnswer;
        }
    }
}
