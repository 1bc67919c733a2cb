using Overlay.Crypto;
using Overlay.Dht.Lookup;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>
/// Runs DHT operations over an <see cref="IDhtRpc"/>: drives a <see cref="LookupState"/>, applies the
/// per-request timeout on the injected <see cref="TimeProvider"/>, and keeps the routing table up to
/// date with who answered (and pings a full bucket's oldest contact when asked to). The routing table is
/// only touched under a lock on the table instance itself, so concurrent operations (and a request
/// handler serving the same table under that lock) are safe.
/// </summary>
public sealed class DhtClient
{
    /// <summary>Wait before a put's first retry; each further one waits twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between a put's retries.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(4);

    // The table itself is the lock, so the request handler serving the same table can share it.
    private readonly object _gate;
    private readonly RoutingTable _table;
    private readonly IDhtRpc _rpc;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<PeerId, double>? _predictLatencyMs;
    private readonly RecordValidator? _validator;
    private readonly Random? _random;
    private readonly List<Task> _maintenance = new();

    /// <summary>Creates a client.</summary>
    /// <param name="table">The local routing table (its Self is the local id).</param>
    /// <param name="rpc">The network.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="time">Clock for timeouts and liveness stamps.</param>
    /// <param name="predictLatencyMs">Predicted RTT in ms to a peer (e.g. from Vivaldi), or null.</param>
    /// <param name="validator">Checks records found by <see cref="FindValueAsync"/>; required for it.</param>
    /// <param name="random">Seeded source of the jitter on put retries (so concurrent puts do not retry in step); none when null.</param>
    public DhtClient(RoutingTable table, IDhtRpc rpc, DhtOptions options, TimeProvider time, Func<PeerId, double>? predictLatencyMs = null, RecordValidator? validator = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rpc);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _table = table;
        _gate = table;
        _rpc = rpc;
        _options = options.EnsureValid();
        _time = time;
        _predictLatencyMs = predictLatencyMs;
        _validator = validator;
        _random = random;
    }

    /// <summary>Finds the k peers closest to <paramref name="target"/> that answer.</summary>
    public async Task<LookupResult> FindClosestAsync(PeerId target, CancellationToken cancellationToken)
    {
        var (result, _) = await RunAsync(target, findValue: false, failed: null, cancellationToken);
        return result;
    }

    /// <summary>
    /// Looks up the record under <paramref name="key"/>: stops at the first answer carrying a record that
    /// validates, else ends like a node lookup and returns null.
    /// </summary>
    public async Task<DhtRecord?> FindValueAsync(PeerId key, CancellationToken cancellationToken)
    {
        if (_validator is null)
        {
            throw new InvalidOperationException("FindValueAsync needs a RecordValidator.");
        }

        var (_, record) = await RunAsync(key, findValue: true, failed: null, cancellationToken);
        return record;
    }

    /// <summary>
    /// Stores <paramref name="record"/> on the k closest peers to its key. Peers that give no verdict (no
    /// answer, an error, a broken response) or refuse under their rate limit are asked again after a
    /// back-off (<see cref="FirstRetryDelay"/>, doubling to <see cref="MaxRetryDelay"/>, jittered), and a
    /// lookup that missed peers is run again, until <paramref name="required"/> peers accepted it, nothing
    /// is left to retry, or <see cref="DhtOptions.PutRetryTimeout"/> has passed. Other refusals (a newer
    /// record, another publisher, a full store) are final. <paramref name="required"/> 0 sends one round.
    /// </summary>
    public async Task<PutResult> PutAsync(DhtRecord record, int required, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfNegative(required);
        var key = record.Key;
        var giveUpAt = _time.GetUtcNow() + _options.PutRetryTimeout;
        // The last verdict of every peer a store went to, and the peers whose lookup request failed.
        var verdicts = new Dictionary<PeerId, RecordRejection>();
        var missed = new Dictionary<PeerId, RecordRejection>();
        var candidates = new List<DhtPeer>(_options.K);
        var (lookup, _) = await RunAsync(key, findValue: false, missed, cancellationToken);
        Merge(candidates, lookup.Closest, key);
        var accepted = 0;
        var rounds = 0;
        var delay = FirstRetryDelay;
        while (true)
        {
            rounds++;
            var targets = new List<DhtPeer>(candidates.Count);
            foreach (var peer in candidates)
            {
                if (!verdicts.TryGetValue(peer.Id, out var last) || IsTransient(last))
                {
                    targets.Add(peer);
                }
            }

            var stores = new Task<RecordRejection>[targets.Count];
            for (var i = 0; i < stores.Length; i++)
            {
                stores[i] = StoreOneAsync(targets[i], record, cancellationToken);
            }

            var answers = await Task.WhenAll(stores);
            var retryable = false;
            for (var i = 0; i < answers.Length; i++)
            {
                verdicts[targets[i].Id] = answers[i];
                accepted += answers[i] == RecordRejection.None ? 1 : 0;
                retryable |= IsTransient(answers[i]);
            }

            // Peers that belong among the k closest but did not answer the lookup: look again next round.
            var lookAgain = AnyCloseMiss(missed, verdicts, candidates, key);
            if (accepted >= required || !(retryable || lookAgain))
            {
                break;
            }

            var wait = Jitter(delay);
            if (_time.GetUtcNow() + wait > giveUpAt)
            {
                break;
            }

            await Task.Delay(wait, _time, cancellationToken);
            delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            if (lookAgain)
            {
                missed.Clear();
                (lookup, _) = await RunAsync(key, findValue: false, missed, cancellationToken);
                Merge(candidates, lookup.Closest, key);
            }
        }

        var refusals = new List<StoreRefusal>();
        foreach (var (peer, verdict) in verdicts)
        {
            if (verdict != RecordRejection.None)
            {
                refusals.Add(new StoreRefusal(peer, verdict));
            }
        }

        // A close peer that never got as far as a store did not take the record either: say why.
        foreach (var (peer, reason) in missed)
        {
            if (!verdicts.ContainsKey(peer) && IsClose(peer, candidates, key))
            {
                refusals.Add(new StoreRefusal(peer, reason));
            }
        }

        return new PutResult(accepted, required, refusals, rounds);
    }

    /// <summary>True when a peer whose lookup request failed, and that no store reached, would be among the k closest.</summary>
    private bool AnyCloseMiss(Dictionary<PeerId, RecordRejection> missed, Dictionary<PeerId, RecordRejection> verdicts, List<DhtPeer> candidates, PeerId key)
    {
        foreach (var peer in missed.Keys)
        {
            if (!verdicts.ContainsKey(peer) && IsClose(peer, candidates, key))
            {
                return true;
            }
        }

        return false;
    }

    // Among the k closest to the key: fewer than k candidates are known, or it is closer than the farthest.
    private bool IsClose(PeerId peer, List<DhtPeer> candidates, PeerId key) =>
        candidates.Count < _options.K || peer.Xor(key).CompareTo(candidates[^1].Id.Xor(key)) < 0;

    /// <summary>Verdicts a later attempt may change: the peer gave none, or asked us to slow down.</summary>
    private static bool IsTransient(RecordRejection verdict) => verdict is RecordRejection.NoAnswer or RecordRejection.RateLimited;

    /// <summary>Adds the peers of <paramref name="found"/> not yet in <paramref name="candidates"/> and keeps the k closest to <paramref name="key"/>.</summary>
    private void Merge(List<DhtPeer> candidates, IReadOnlyList<DhtPeer> found, PeerId key)
    {
        foreach (var peer in found)
        {
            if (!candidates.Exists(p => p.Id == peer.Id))
            {
                candidates.Add(peer);
            }
        }

        candidates.Sort((a, b) => a.Id.Xor(key).CompareTo(b.Id.Xor(key)));
        if (candidates.Count > _options.K)
        {
            candidates.RemoveRange(_options.K, candidates.Count - _options.K);
        }
    }

    private TimeSpan Jitter(TimeSpan delay)
    {
        if (_random is null)
        {
            return delay;
        }

        double fraction;
        lock (_random)
        {
            fraction = _random.NextDouble();
        }

        // Between half and all of the delay: puts refused together spread their retries out.
        return delay * (0.5 + (0.5 * fraction));
    }

    /// <summary>Looks up a random id in every bucket that is due for a refresh; returns how many were refreshed.</summary>
    public async Task<int> RefreshStaleBucketsAsync(Random random, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(random);
        var stale = new int[RoutingTable.BucketCount];
        int n;
        var targets = new List<PeerId>();
        lock (_gate)
        {
            n = _table.StaleBuckets(_time.GetUtcNow(), stale);
            for (var i = 0; i < n; i++)
            {
                targets.Add(_table.RandomIdInBucket(stale[i], random));
            }
        }

        foreach (var target in targets)
        {
            await FindClosestAsync(target, cancellationToken);
        }

        return n;
    }

    /// <summary>Completes when every ping started for full buckets so far has been answered or timed out.</summary>
    public Task WhenMaintenanceIdleAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_maintenance.ToArray());
        }
    }

    // failed, when given, receives each peer whose request failed: NoAnswer, or RateLimited when it refused under its rate limit.
    private async Task<(LookupResult Result, DhtRecord? Record)> RunAsync(PeerId target, bool findValue, Dictionary<PeerId, RecordRejection>? failed, CancellationToken cancellationToken)
    {
        var state = new LookupState(target, _table.Self, _options);
        // Sized for a typical lookup (a few dozen answers naming mostly the same peers) so it rarely grows.
        var known = new Dictionary<PeerId, DhtPeer>(4 * _options.K);
        var seeds = new Contact[_options.K];
        lock (_gate)
        {
            var n = _table.FindClosest(target, seeds);
            var peers = new LookupPeer[n];
            for (var i = 0; i < n; i++)
            {
                known[seeds[i].Id] = new DhtPeer(seeds[i].Id, seeds[i].Address, seeds[i].Group);
                peers[i] = new LookupPeer(seeds[i].Id, Predict(seeds[i].Id, seeds[i].LatencyMs));
            }

            _table.MarkLookup(target, _time.GetUtcNow());
            state.AddSeeds(peers);
        }

        // Cancelled on exit so that requests still in flight when the lookup ends stop at once.
        using var lookupCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task<Reply>>();
        // Answers off the wire hold at most K contacts (the codec refuses more); one buffer serves them all.
        var closer = new LookupPeer[_options.K];
        DhtRecord? found = null;
        try
        {
            while (true)
            {
                while (state.TryGetNextRequest(out var request))
                {
                    inFlight.Add(RequestAsync(known[request.Peer], target, findValue, lookupCts.Token));
                }

                if (state.IsFinished || inFlight.Count == 0)
                {
                    break;
                }

                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                cancellationToken.ThrowIfCancellationRequested();
                var reply = await done;
                var now = _time.GetUtcNow();
                if (reply.Failed)
                {
                    state.OnFailure(reply.Peer.Id);
                    failed?.TryAdd(reply.Peer.Id, reply.RateLimited ? RecordRejection.RateLimited : RecordRejection.NoAnswer);
                    if (!reply.RateLimited)
                    {
                        lock (_gate)
                        {
                            _table.OnRequestFailed(reply.Peer.Id, now);
                        }
                    }

                    continue;
                }

                Observe(reply.Peer, now, reply.RttMs);
                if (findValue && reply.Record is { } record && record.Key == target &&
                    _validator!.Validate(record, now) == RecordRejection.None)
                {
                    state.OnResponse(reply.Peer.Id, []);
                    found = record;
                    break;
                }

                var answered = reply.Closer.Count;
                if (answered > closer.Length)
                {
                    closer = new LookupPeer[answered];
                }

                for (var i = 0; i < answered; i++)
                {
                    var peer = reply.Closer[i];
                    known.TryAdd(peer.Id, peer);
                    closer[i] = new LookupPeer(peer.Id, Predict(peer.Id, double.NaN));
                }

                state.OnResponse(reply.Peer.Id, closer.AsSpan(0, answered));
            }
        }
        finally
        {
            // Synchronous on purpose: callbacks run here, so no continuation escapes to the thread pool
            // (which would let a virtual-time driver see an idle clock while work is still pending).
#pragma warning disable CA1849
            lookupCts.Cancel();
#pragma warning restore CA1849
        }

        var ids = new PeerId[_options.K];
        var count = state.CopyResult(ids);
        var closest = new DhtPeer[count];
        for (var i = 0; i < count; i++)
        {
            closest[i] = known[ids[i]];
        }

        return (new LookupResult(closest, state.RequestsSent, state.Failures, state.Hops), found);
    }

    private async Task<Reply> RequestAsync(DhtPeer peer, PeerId target, bool findValue, CancellationToken lookupToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(lookupToken, timeout.Token);
        var started = _time.GetTimestamp();
        try
        {
            if (findValue)
            {
                // WaitAsync bounds the wait even if an implementation ignores the token.
                var answer = await _rpc.FindValueAsync(peer, target, linked.Token).WaitAsync(linked.Token);
                return new Reply(peer, false, answer.Closer, answer.Record, _time.GetElapsedTime(started).TotalMilliseconds);
            }

            var closer = await _rpc.FindNodeAsync(peer, target, linked.Token).WaitAsync(linked.Token);
            return new Reply(peer, false, closer, null, _time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            // Whatever went wrong on the way (timeout, refusal, protocol error), Kademlia treats it as
            // one failed request; the lookup goes on with other candidates. A peer that refused under its
            // rate limit answered, though: it is alive, and the table must not count it as failing.
            return new Reply(peer, true, [], null, double.NaN, e is Wire.DhtProtocolException { ErrorCode: Wire.DhtErrorCode.RateLimited });
        }
    }

    private async Task<RecordRejection> StoreOneAsync(DhtPeer peer, DhtRecord record, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await _rpc.StoreAsync(peer, record, linked.Token).WaitAsync(linked.Token);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A store that failed in transit gave no verdict: not counted as accepted, and a put asks again.
            lock (_gate)
            {
                _table.OnRequestFailed(peer.Id, _time.GetUtcNow());
            }

            return RecordRejection.NoAnswer;
        }
    }

    private void Observe(DhtPeer peer, DateTimeOffset now, double rttMs)
    {
        ObserveResult result;
        lock (_gate)
        {
            result = _table.Observe(peer.Id, peer.Group, now, rttMs, peer.Address);
            if (result.Outcome == ObserveOutcome.PingRequired)
            {
                _maintenance.RemoveAll(t => t.IsCompleted);
                _maintenance.Add(PingAndReportAsync(result.PingTarget!));
            }
        }
    }

    /// <summary>
    /// Pings <paramref name="contact"/>, which the routing table asked to have checked, and reports the
    /// answer to the table; <see cref="WhenMaintenanceIdleAsync"/> waits for it. Used for sightings that
    /// do not come from a lookup, such as inbound requests.
    /// </summary>
    internal void StartPing(Contact contact)
    {
        lock (_gate)
        {
            _maintenance.RemoveAll(t => t.IsCompleted);
            _maintenance.Add(PingAndReportAsync(contact));
        }
    }

    private async Task PingAndReportAsync(Contact contact)
    {
        var answered = false;
        var started = _time.GetTimestamp();
        using (var timeout = new CancellationTokenSource(_options.RequestTimeout, _time))
        {
            try
            {
                await _rpc.PingAsync(new DhtPeer(contact.Id, contact.Address, contact.Group), timeout.Token).WaitAsync(timeout.Token);
                answered = true;
            }
            catch (Exception)
            {
                // No answer in time, or any transport error: the contact did not prove it is alive.
            }
        }

        lock (_gate)
        {
            _table.OnPingResult(contact.Id, answered, _time.GetUtcNow(), answered ? _time.GetElapsedTime(started).TotalMilliseconds : double.NaN);
        }
    }

    private double Predict(PeerId id, double known) =>
        _predictLatencyMs is not null ? _predictLatencyMs(id) : known;

    private readonly record struct Reply(DhtPeer Peer, bool Failed, IReadOnlyList<DhtPeer> Closer, DhtRecord? Record, double RttMs, bool RateLimited = false);
}
