using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The owner's repair of one shard (docs/PROTOCOL.md, "Owner maintenance"): new holders in place of the suspects,
/// each pulling the shard from a surviving holder or stored from the owner's copy. Runs under the shard's lock,
/// shared with <see cref="ShardOwner"/> and the other operations of <see cref="OwnedShardCare"/>, which calls it.
/// </summary>
internal sealed class ShardRepair(
    PeerId self, ShardExchangeClient client, Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect, IShardHolderSelector selector,
    IOwnedShardBook book, IShardStore localStore, ShardExchangeOptions options, TimeProvider time, ShardLocks locks, ShardProbation probation, ILogger logger,
    Action<PeerId, ShardId, HolderVerdict, long> observe)
{
    private readonly PeerId _self = self;
    private readonly ShardExchangeClient _client = client;
    private readonly Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> _connect = connect;
    private readonly IShardHolderSelector _selector = selector;
    private readonly IOwnedShardBook _book = book;
    private readonly IShardStore _localStore = localStore;
    private readonly ShardExchangeOptions _options = options;
    private readonly TimeProvider _time = time;
    private readonly ShardLocks _locks = locks;
    private readonly ShardProbation _probation = probation;
    private readonly ILogger _logger = logger;

    /// <summary>Told each candidate's outcome (its last verdict, and when it was first asked).</summary>
    private readonly Action<PeerId, ShardId, HolderVerdict, long> _observe = observe;

    /// <summary>
    /// Candidates in a row that every source failed (none gave the shard) before a repair gives up until its next turn: more than
    /// one, so a candidate that falsely says its sources failed cannot end a repair alone; few, because each further candidate costs a
    /// round of pulls from the same sources. Without a bound a repair whose survivors had all died unseen asked the whole routing table.
    /// </summary>
    private const int CandidatesBeforeSourcesGiveUp = 3;

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
                OwnedShardCare.TryReadLocal(_localStore, shard, out local);
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
            verdict = await OwnedShardCare.AttemptAsync(async () =>
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

            verdict = await OwnedShardCare.AttemptAsync(async () =>
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

        _observe(candidate.Peer, shard.Id, verdict, started);
        Log.ShardHolderOutcome(_logger, candidate.Peer, shard.Id, receipt is null ? "repair: not placed (" + verdict + ")" : "repair: new holder");
        return (receipt, verdict);
    }
}
