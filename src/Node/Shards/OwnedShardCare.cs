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
    private readonly PeerId _self;
    private readonly ShardExchangeClient _client;
    private readonly HolderProbe _probe;
    private readonly Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> _connect;
    private readonly IShardHolderSelector _selector;
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

    /// <summary>
    /// Candidates in a row that every source failed (none gave the shard) before a repair gives up until its next turn: more than
    /// one, so a candidate that falsely says its sources failed cannot end a repair alone; few, because each further candidate costs a
    /// round of pulls from the same sources. Without a bound a repair whose survivors had all died unseen asked the whole routing table.
    /// </summary>
    private const int CandidatesBeforeSourcesGiveUp = 3;

    /// <summary>Creates the operations over the owner's parts (the same ones its <see cref="ShardOwner"/> uses).</summary>
    public OwnedShardCare(
        PeerId self, ShardExchangeClient client, Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect, IShardHolderSelector selector,
        IOwnedShardBook book, IShardStore localStore, ShardFetcher fetcher, ShardExchangeOptions options, TimeProvider time, Action<Span<byte>> fillNonce,
        ShardExchangeMetrics metrics, ShardLocks locks, ILogger logger)
    {
        _self = self;
        _client = client;
        _probe = new HolderProbe(new ShardExchangeClient(self, options.ProbeTimeout, time), connect, metrics, time, (holder, id, verdict, started) => Observe(holder, id, HolderCheck.Probe, verdict, started));
        _connect = connect;
        _selector = selector;
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

    /// <summary>
    /// Replaces the <paramref name="suspects"/> among the shard's holders: for each missing replica (up to
    /// <see cref="ShardExchangeOptions.Replicas"/> live ones) a new holder from the selector is asked to pull
    /// the shard from a surviving holder, each survivor in turn. Each checked receipt is saved at once; the
    /// suspects leave the book only once as many new holders as they were have taken their place (a suspect
    /// that was only slow is then one replica too many, which its receipt's expiry ends). When no holder
    /// survives, or the owner keeps its copy on probation, the owner stores its own bytes on the new holder.
    /// <paramref name="started"/> is called when the first new holder is asked. Candidates in <paramref name="avoid"/> (holders
    /// this owner suspects or just replaced, <see cref="WatchedShards.Avoided"/>) are passed over: with closest placement they
    /// are often the nearest candidates, and a holder caught dropping or gone would otherwise get the repair back. The repair
    /// stops once <see cref="CandidatesBeforeSourcesGiveUp"/> candidates in a row got the shard from no source.
    /// </summary>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<RepairResult> RepairAsync(ShardId id, IReadOnlyCollection<PeerId> suspects, Action? started, CancellationToken cancellationToken, IReadOnlySet<PeerId>? avoid = null)
    {
        using (await _locks.EnterAsync(id, cancellationToken))
        {
            if (_book.Load(id) is not { } shard)
            {
                return new RepairResult(0, 0, "this node did not place the shard");
            }

            var survivors = shard.Holders.Where(h => !suspects.Contains(h.Peer)).ToList();
            var missing = _options.Replicas - survivors.Count;
            if (missing <= 0)
            {
                return new RepairResult(0, 0, "enough live holders");
            }

            // The owner's copy on probation is the source while it is kept: the survivors are not vetted yet.
            byte[]? local = null;
            if (survivors.Count == 0 || shard.OwnerCopy)
            {
                TryReadLocal(shard, out local);
            }

            if (survivors.Count == 0 && local is null)
            {
                return new RepairResult(0, 0, "no holder survives and this node has no copy: the shard is lost unless a suspect comes back");
            }

            started?.Invoke();
            var expiresAt = _time.GetUtcNow() + _options.HoldDuration;
            var added = 0;
            var sourcesFailed = 0;
            foreach (var candidate in _selector.Candidates(id))
            {
                if (added >= missing || sourcesFailed >= CandidatesBeforeSourcesGiveUp)
                {
                    break;
                }

                if (candidate.Peer == _self || shard.Holders.Exists(h => h.Peer == candidate.Peer) || avoid?.Contains(candidate.Peer) == true)
                {
                    continue;
                }

                var (receipt, verdict) = await PlaceAsync(shard, candidate, survivors, local, expiresAt, cancellationToken);
                if (receipt is null)
                {
                    // Every source failed this candidate: the sources are the trouble (gone, not yet suspected), and the next candidate
                    // would only be sent to them again. A dead or refusing candidate says nothing about them.
                    sourcesFailed += verdict == HolderVerdict.Missing ? 1 : 0;
                }
                else
                {
                    sourcesFailed = 0;
                    shard.Holders.Add(new ShardHolding
                    {
                        Peer = candidate.Peer,
                        Address = candidate.Address.ToString(),
                        Receipt = receipt.Encode(),
                        ReceivedAt = _time.GetUtcNow(),
                        Vetted = _probation.VettedAtReceipt,
                    });
                    _book.Save(shard);
                    added++;
                }
            }

            if (added >= missing)
            {
                shard.Holders.RemoveAll(h => suspects.Contains(h.Peer));
                _book.Save(shard);
            }

            var detail = added >= missing ? "repaired"
                : sourcesFailed >= CandidatesBeforeSourcesGiveUp ? $"only {added} of {missing} new holders took the shard: no source gave it to {sourcesFailed} candidates in a row"
                : $"only {added} of {missing} new holders took the shard";
            return new RepairResult(added, (long)added * shard.Size, detail, added >= missing);
        }
    }

    /// <summary>Asks one candidate to keep the shard (stored from the owner's copy, else pulled from each survivor in turn); returns its receipt and the last verdict.</summary>
    private async Task<(StorageReceipt? Receipt, HolderVerdict Verdict)> PlaceAsync(
        OwnedShard shard, HolderCandidate candidate, List<ShardHolding> survivors, byte[]? local, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        StorageReceipt? receipt = null;
        var verdict = HolderVerdict.NoAnswer;
        if (local is not null)
        {
            verdict = await AttemptAsync(async () =>
            {
                receipt = await _client.StoreAsync(await _connect(candidate.Address, cancellationToken), shard.Id, local, expiresAt, cancellationToken);
                return HolderVerdict.Passed;
            }, cancellationToken);
        }

        // A candidate that did not answer the store will not answer a pull either: asking again would cost another timeout.
        var candidateSilent = local is not null && verdict == HolderVerdict.NoAnswer;
        foreach (var source in survivors)
        {
            if (receipt is not null || candidateSilent || !TransportAddress.TryParse(source.Address, out var sourceAddress, out _))
            {
                continue;
            }

            verdict = await AttemptAsync(async () =>
            {
                var connection = await _connect(candidate.Address, cancellationToken);
                receipt = await _client.PullAsync(connection, shard.Id, shard.Size, expiresAt, sourceAddress.WithPeer(source.Peer), cancellationToken);
                return HolderVerdict.Passed;
            }, cancellationToken);

            // Only "the source did not give it" is worth another source; any other answer is the candidate's.
            if (verdict != HolderVerdict.Missing)
            {
                break;
            }
        }

        Observe(candidate.Peer, shard.Id, HolderCheck.Pull, verdict, started);
        Log.ShardHolderOutcome(_logger, candidate.Peer, shard.Id, receipt is null ? "repair: not placed (" + verdict + ")" : "repair: new holder");
        return (receipt, verdict);
    }

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
        if (!TryReadLocal(shard, out var data))
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

    private bool TryReadLocal(OwnedShard shard, out byte[]? data)
    {
        data = null;
        if (!_localStore.TryGetInfo(shard.Id, out var info) || info.Size != shard.Size)
        {
            return false;
        }

        var bytes = new byte[shard.Size];
        if (_localStore.Read(shard.Id, bytes).Status != ShardReadStatus.Found)
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
