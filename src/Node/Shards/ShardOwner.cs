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
public sealed class ShardOwner : IDisposable
{
    private readonly ShardExchangeClient _client;
    private readonly Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> _connect;
    private readonly IShardHolderSelector _selector;
    private readonly OwnedShardBook _book;
    private readonly IShardStore _localStore;
    private readonly ShardExchangeOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<Span<byte>> _fillNonce;
    private readonly ShardExchangeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ShardFetcher _fetcher;
    private readonly IInteractionObserver _interactions;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Creates the owner side. <paramref name="fillNonce"/> fills audit nonces: a CSPRNG in a daemon, a seeded
    /// source in a test. <paramref name="interactions"/> is told how every store and audit with a holder ended.
    /// </summary>
    public ShardOwner(
        ShardExchangeClient client,
        Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>> connect,
        IShardHolderSelector selector,
        OwnedShardBook book,
        IShardStore localStore,
        int maxShardBytes,
        ShardExchangeOptions options,
        TimeProvider time,
        Action<Span<byte>> fillNonce,
        ShardExchangeMetrics metrics,
        ILogger logger,
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
        _interactions = interactions ?? InteractionObservers.None;
    }

    /// <summary>
    /// Places <paramref name="data"/> on up to <see cref="ShardExchangeOptions.Replicas"/> holders
    /// (counting those it already has), passing over peers that refuse. Each receipt is written to the
    /// book as soon as it is checked.
    /// </summary>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<PutOutcome> PutAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var id = ShardId.Compute(data.Span);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var shard = _book.Load(id) ?? new OwnedShard(id, data.Length);
            var attempts = new List<HolderAttempt>();
            var expiresAt = _time.GetUtcNow() + _options.HoldDuration;
            foreach (var candidate in _selector.Candidates(id))
            {
                if (shard.Holders.Count >= _options.Replicas)
                {
                    break;
                }

                if (shard.Holders.Exists(h => h.Peer == candidate.Peer))
                {
                    continue;
                }

                var started = _time.GetTimestamp();
                try
                {
                    var connection = await _connect(candidate.Address, cancellationToken);
                    var receipt = await _client.StoreAsync(connection, id, data, expiresAt, cancellationToken);
                    shard.Holders.Add(new ShardHolding
                    {
                        Peer = candidate.Peer,
                        Address = candidate.Address.ToString(),
                        Receipt = receipt.Encode(),
                        Challenges = PrepareChallenges(id, data.Span),
                    });
                    _book.Save(shard);
                    attempts.Add(new HolderAttempt(candidate.Peer, ShardRefusal.None, "stored; receipt checked"));
                    ReportStore(candidate.Peer, InteractionResult.Succeeded, data.Length, started);
                }
                catch (ShardExchangeException e)
                {
                    if (e.Rejection != ReceiptRejection.None)
                    {
                        _metrics.ReceiptRejected(e.Rejection);
                    }

                    attempts.Add(new HolderAttempt(candidate.Peer, e.Refusal, e.Message));
                    ReportStore(candidate.Peer, ShardOutcomes.Classify(e, audit: false), data.Length, started);
                }
                catch (TransportException e)
                {
                    attempts.Add(new HolderAttempt(candidate.Peer, ShardRefusal.Failed, e.Message));
                    ReportStore(candidate.Peer, e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable, data.Length, started);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    attempts.Add(new HolderAttempt(candidate.Peer, ShardRefusal.Failed, "timed out"));
                    ReportStore(candidate.Peer, InteractionResult.TimedOut, data.Length, started);
                }
            }

            foreach (var a in attempts)
            {
                Log.ShardHolderOutcome(_logger, a.Peer, id, a.Detail);
            }

            return new PutOutcome(id, data.Length, shard.Holders, attempts);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The shard's bytes, verified: from this node's own store when it holds them, else from the
    /// holders the book names, then from the peers the selector proposes.
    /// </summary>
    /// <exception cref="ShardExchangeException">Nobody gave the shard (NotFound).</exception>
    /// <exception cref="ShardBookException">The book cannot be read.</exception>
    public async Task<(byte[] Data, IReadOnlyList<HolderAttempt> Attempts)> GetAsync(ShardId id, CancellationToken cancellationToken)
    {
        if (_localStore.TryGetInfo(id, out var info))
        {
            var local = new byte[info.Size];
            if (_localStore.Read(id, local).Status == ShardReadStatus.Found)
            {
                return (local, []);
            }
        }

        var holders = new List<HolderCandidate>();
        if (_book.Load(id) is { } shard)
        {
            foreach (var h in shard.Holders)
            {
                if (TransportAddress.TryParse(h.Address, out var address, out _))
                {
                    holders.Add(new HolderCandidate(h.Peer, address));
                }
            }
        }

        foreach (var c in _selector.Candidates(id))
        {
            if (!holders.Exists(h => h.Peer == c.Peer))
            {
                holders.Add(c);
            }
        }

        return await _fetcher.FetchAsync(id, holders, cancellationToken);
    }

    /// <summary>
    /// Audits every holder of the shard once, each with a challenge not used before (spent, and the
    /// book saved, before it is sent, so no nonce is ever sent twice), and records each result.
    /// </summary>
    /// <exception cref="ShardExchangeException">This node did not place the shard (NotFound).</exception>
    /// <exception cref="ShardBookException">The book cannot be read or written.</exception>
    public async Task<OwnedShard> AuditAsync(ShardId id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var shard = _book.Load(id) ?? throw new ShardExchangeException(ShardRefusal.NotFound, $"This node did not place shard {id}.");
            foreach (var holding in shard.Holders)
            {
                var (passed, detail) = await AuditOneAsync(shard, holding, cancellationToken);
                holding.LastAuditAt = _time.GetUtcNow();
                holding.LastAuditPassed = passed;
                holding.LastAuditDetail = detail;
                _book.Save(shard);
                _metrics.Audited(passed);
                Log.ShardHolderOutcome(_logger, holding.Peer, id, passed ? "audit passed" : "audit failed: " + detail);
            }

            return shard;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    /// <summary>The book's record of the shard, or null when this node did not place it.</summary>
    /// <exception cref="ShardBookException">The book cannot be read.</exception>
    public OwnedShard? Status(ShardId id) => _book.Load(id);

    private async Task<(bool Passed, string Detail)> AuditOneAsync(OwnedShard shard, ShardHolding holding, CancellationToken cancellationToken)
    {
        if (holding.Challenges.Count == 0)
        {
            return (false, "no unspent challenge is left for this holder; place the shard again to prepare more");
        }

        var challenge = holding.Challenges[0];
        holding.Challenges.RemoveAt(0);
        _book.Save(shard);
        if (!TransportAddress.TryParse(holding.Address, out var address, out var error))
        {
            return (false, error);
        }

        var started = _time.GetTimestamp();
        try
        {
            var connection = await _connect(address, cancellationToken);
            var answer = await _client.AuditAsync(connection, shard.Id, challenge.Nonce, cancellationToken);
            var passed = ShardAudit.Matches(challenge.Answer, answer);
            ReportAudit(holding.Peer, passed ? InteractionResult.Succeeded : InteractionResult.InvalidReply, started);
            return passed ? (true, "answered correctly") : (false, "answered wrongly: it does not hold the shard's bytes now");
        }
        catch (ShardExchangeException e)
        {
            ReportAudit(holding.Peer, ShardOutcomes.Classify(e, audit: true), started);
            return (false, e.Message);
        }
        catch (TransportException e)
        {
            ReportAudit(holding.Peer, e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable, started);
            return (false, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ReportAudit(holding.Peer, InteractionResult.TimedOut, started);
            return (false, "did not answer in time");
        }
    }

    private void ReportStore(PeerId peer, InteractionResult? result, long bytes, long started)
    {
        if (result is { } r)
        {
            ShardOutcomes.Report(_interactions, peer, ShardOutcomes.Store, r, bytes, _time.GetElapsedTime(started));
        }
    }

    private void ReportAudit(PeerId peer, InteractionResult? result, long started)
    {
        if (result is { } r)
        {
            ShardOutcomes.Report(_interactions, peer, ShardOutcomes.Audit, r, ShardCodec.NonceBytes, _time.GetElapsedTime(started));
        }
    }

    private List<AuditChallenge> PrepareChallenges(ShardId id, ReadOnlySpan<byte> data)
    {
        var challenges = new List<AuditChallenge>(_options.AuditChallengesPerHolder);
        for (var i = 0; i < _options.AuditChallengesPerHolder; i++)
        {
            var nonce = new byte[ShardCodec.NonceBytes];
            _fillNonce(nonce);
            var answer = new byte[ShardCodec.NonceBytes];
            ShardAudit.Answer(nonce, id, data, answer);
            challenges.Add(new AuditChallenge(nonce, answer));
        }

        return challenges;
    }
}
