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
    // The table itself is the lock, so the request handler serving the same table can share it.
    private readonly object _gate;
    private readonly RoutingTable _table;
    private readonly IDhtRpc _rpc;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<PeerId, double>? _predictLatencyMs;
    private readonly RecordValidator? _validator;
    private readonly List<Task> _maintenance = new();

    /// <summary>Creates a client.</summary>
    /// <param name="table">The local routing table (its Self is the local id).</param>
    /// <param name="rpc">The network.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="time">Clock for timeouts and liveness stamps.</param>
    /// <param name="predictLatencyMs">Predicted RTT in ms to a peer (e.g. from Vivaldi), or null.</param>
    /// <param name="validator">Checks records found by <see cref="FindValueAsync"/>; required for it.</param>
    public DhtClient(RoutingTable table, IDhtRpc rpc, DhtOptions options, TimeProvider time, Func<PeerId, double>? predictLatencyMs = null, RecordValidator? validator = null)
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
    }

    /// <summary>Finds the k peers closest to <paramref name="target"/> that answer.</summary>
    public async Task<LookupResult> FindClosestAsync(PeerId target, CancellationToken cancellationToken)
    {
        var (result, _) = await RunAsync(target, findValue: false, cancellationToken);
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

        var (_, record) = await RunAsync(key, findValue: true, cancellationToken);
        return record;
    }

    /// <summary>
    /// Stores <paramref name="record"/> on the k closest peers to its key; returns how many accepted it.
    /// Peers that refuse or do not answer are not counted.
    /// </summary>
    public async Task<int> PutAsync(DhtRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var closest = await FindClosestAsync(record.Key, cancellationToken);
        var stores = new Task<RecordRejection>[closest.Closest.Count];
        for (var i = 0; i < stores.Length; i++)
        {
            stores[i] = StoreOneAsync(closest.Closest[i], record, cancellationToken);
        }

        var accepted = 0;
        foreach (var verdict in await Task.WhenAll(stores))
        {
            accepted += verdict == RecordRejection.None ? 1 : 0;
        }

        return accepted;
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

    private async Task<(LookupResult Result, DhtRecord? Record)> RunAsync(PeerId target, bool findValue, CancellationToken cancellationToken)
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
                    lock (_gate)
                    {
                        _table.OnRequestFailed(reply.Peer.Id, now);
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
        catch (Exception)
        {
            // Whatever went wrong on the way (timeout, refusal, protocol error), Kademlia treats it as
            // one failed request; the lookup goes on with other candidates.
            return new Reply(peer, true, [], null, double.NaN);
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
            // A store that failed in transit is simply not counted as accepted.
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

    private readonly record struct Reply(DhtPeer Peer, bool Failed, IReadOnlyList<DhtPeer> Closer, DhtRecord? Record, double RttMs);
}
