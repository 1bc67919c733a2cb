using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Lookup;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Transport.Interactions;

namespace Overlay.Dht;

/// <summary>
/// Runs DHT operations over an <see cref="IDhtRpc"/>: drives a <see cref="LookupState"/>, applies the
/// per-request timeout and each lookup's per-peer patience on the injected <see cref="TimeProvider"/>, and keeps the routing table up to
/// date with who answered (and pings a full bucket's oldest contact when asked to). The routing table is
/// reached only through its guard (<see cref="Guarded{T}"/>), which the node shares with its request
/// handler, so concurrent operations are safe.
/// </summary>
public sealed class DhtClient
{
    /// <summary>Wait before a put's first retry; each further one waits twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between a put's retries.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(4);

    // Shared with the request handler and the node's maintenance: reached only through its guard.
    private readonly Guarded<RoutingTable> _table;
    private readonly PeerId _self;
    // Guards _maintenance, which only this client touches.
    private readonly Lock _maintenanceGate = new();
    private readonly DhtRequestRunner _requests;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly IRttEstimator? _rtt;
    private readonly RecordValidator? _validator;
    private readonly PutRounds _puts;
    private readonly ProviderQuery _providers;
    private readonly List<Task> _maintenance = new();

    /// <summary>Creates a client.</summary>
    /// <param name="table">The local routing table (its Self is the local id).</param>
    /// <param name="rpc">The network.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="time">Clock for timeouts and liveness stamps.</param>
    /// <param name="rtt">
    /// RTT estimates (measured, or predicted from network coordinates): they order lookup candidates and set
    /// how long a lookup waits for each; the coordinates peers reported go with them into the routing table.
    /// Null: nothing is known.
    /// </param>
    /// <param name="validator">Checks records found by <see cref="FindValueAsync"/>; required for it.</param>
    /// <param name="random">Seeded source of the jitter on put retries (so concurrent puts do not retry in step); none when null.</param>
    /// <param name="interactions">Told of every request that timed out (the adapter reports the rest); none when null.</param>
    public DhtClient(
        RoutingTable table, IDhtRpc rpc, DhtOptions options, TimeProvider time, IRttEstimator? rtt = null, RecordValidator? validator = null, Random? random = null,
        IInteractionObserver? interactions = null)
        : this(new Guarded<RoutingTable>(table ?? throw new ArgumentNullException(nameof(table))), table.Self, rpc, options, time, rtt, validator, random, interactions)
    {
    }

    /// <summary>Creates a client over a routing table the node shares behind <paramref name="table"/>'s guard.</summary>
    internal DhtClient(
        Guarded<RoutingTable> table, PeerId self, IDhtRpc rpc, DhtOptions options, TimeProvider time, IRttEstimator? rtt, RecordValidator? validator, Random? random,
        IInteractionObserver? interactions)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rpc);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _table = table;
        _self = self;
        _options = options.EnsureValid();
        _requests = new DhtRequestRunner(rpc, _options, time, interactions ?? InteractionObservers.None);
        _time = time;
        _rtt = rtt;
        _validator = validator;
        _puts = new PutRounds(_table, _requests, _options, time, random, async (key, missed, ct) => (await RunAsync(key, findValue: false, missed, ct)).Result);
        _providers = new ProviderQuery(_table, _requests, _options, time, rtt, FindClosestAsync);
    }

    /// <summary>Finds the k peers closest to <paramref name="target"/> that answer.</summary>
    public async Task<LookupResult> FindClosestAsync(PeerId target, CancellationToken cancellationToken)
    {
        var (result, _) = await RunAsync(target, findValue: false, failed: null, cancellationToken);
        return result;
    }

    /// <summary>
    /// The providers of <paramref name="key"/> held by its k closest peers, each provider once; a peer that
    /// does not answer within its patience is left out (<see cref="ProviderQuery"/>).
    /// </summary>
    public Task<IReadOnlyList<ProviderRecord>> FindProvidersAsync(PeerId key, CancellationToken cancellationToken) =>
        _providers.FindAsync(key, cancellationToken);

    /// <summary>
    /// Looks up the record under <paramref name="key"/>: stops once <see cref="DhtOptions.ValueQuorum"/>
    /// peers (by default the first) have answered with a record that validates and returns the highest
    /// sequence of the publisher most of them name; else ends like a node lookup and returns the best of
    /// those found, or null.
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
    public Task<PutResult> PutAsync(DhtRecord record, int required, CancellationToken cancellationToken) => _puts.PutAsync(record, required, cancellationToken);

    /// <summary>Looks up a random id in every bucket that is due for a refresh; returns how many were refreshed.</summary>
    public async Task<int> RefreshStaleBucketsAsync(Random random, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(random);
        var stale = new int[RoutingTable.BucketCount];
        int n;
        var targets = new List<PeerId>();
        using (_table.Enter(out var table))
        {
            n = table.StaleBuckets(_time.GetUtcNow(), stale);
            for (var i = 0; i < n; i++)
            {
                targets.Add(table.RandomIdInBucket(stale[i], random));
            }
        }

        foreach (var target in targets)
        {
            await FindClosestAsync(target, cancellationToken);
        }

        return n;
    }

    /// <summary>
    /// Completes when every ping started for full buckets so far, and every lookup request still running
    /// when its lookup ended, has been answered or timed out.
    /// </summary>
    public Task WhenMaintenanceIdleAsync()
    {
        lock (_maintenanceGate)
        {
            return Task.WhenAll(_maintenance.ToArray());
        }
    }

    // failed, when given, receives each peer whose request failed: NoAnswer, or RateLimited when it refused under its rate limit.
    private async Task<(LookupResult Result, DhtRecord? Record)> RunAsync(PeerId target, bool findValue, Dictionary<PeerId, RecordRejection>? failed, CancellationToken cancellationToken)
    {
        var state = new LookupState(target, _self, _options);
        // Sized for a typical lookup (a few dozen answers naming mostly the same peers) so it rarely grows.
        var known = new Dictionary<PeerId, (DhtPeer Peer, double RttMs)>(4 * _options.K);
        var seeds = new Contact[_options.K];
        using (_table.Enter(out var table))
        {
            var n = table.FindClosest(target, seeds);
            var peers = new LookupPeer[n];
            for (var i = 0; i < n; i++)
            {
                var c = seeds[i];
                var peer = new DhtPeer(c.Id, c.Dialable, c.Group, c.Coordinate);
                var rtt = Estimate(peer, c.LatencyMs);
                known[c.Id] = (peer, rtt);
                peers[i] = new LookupPeer(c.Id, rtt);
            }

            table.MarkLookup(target, _time.GetUtcNow());
            state.AddSeeds(peers);
        }

        var typicalRtt = MedianKnown(known);

        // Requests report here: their answer or failure, and the moments they pass their expected time
        // (hedge) and the lookup's patience (give up). Requests outlive the lookup: one still in flight
        // when the lookup ends runs on to RequestTimeout, and its outcome still reaches the routing table.
        // Synchronous continuations: the lookup moves on inside the callback that reports, as a completed
        // request's continuation would, so a manual clock's Advance runs the whole step.
        var events = Channel.CreateUnbounded<LookupEvent>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        var outstanding = 0;
        var requests = new List<Task>(2 * _options.K);
        // Answers off the wire hold at most K contacts (the codec refuses more); one buffer serves them all.
        var closer = new LookupPeer[_options.K];
        List<DhtRecord>? found = null;
        try
        {
            while (true)
            {
                while (state.TryGetNextRequest(out var request))
                {
                    var (peer, rtt) = known[request.Peer];
                    requests.Add(StartRequest(peer, rtt, typicalRtt, target, findValue, events.Writer, cancellationToken));
                    outstanding++;
                }

                if (state.IsFinished || outstanding == 0)
                {
                    break;
                }

                var e = await events.Reader.ReadAsync(cancellationToken);
                switch (e.Kind)
                {
                    case LookupEventKind.Slow:
                        state.OnSlow(e.Peer);
                        continue;
                    case LookupEventKind.Fault:
                        e.Fault!.Throw();
                        break;
                    case LookupEventKind.GaveUp:
                        // A put looks again for a close peer it stopped waiting for, as for one that failed.
                        if (state.OnGaveUp(e.Peer))
                        {
                            failed?.TryAdd(e.Peer, RecordRejection.NoAnswer);
                        }

                        continue;
                }

                outstanding--;
                var reply = e.Reply;
                if (reply.Failed)
                {
                    state.OnFailure(e.Peer);
                    failed?.TryAdd(e.Peer, reply.RateLimited ? RecordRejection.RateLimited : RecordRejection.NoAnswer);
                    continue;
                }

                // A late answer from a peer the lookup had stopped waiting for: it is not missing after all.
                failed?.Remove(e.Peer);
                if (findValue && reply.Record is { } record && record.Key == target &&
                    _validator!.Validate(record, _time.GetUtcNow()) == RecordRejection.None)
                {
                    (found ??= []).Add(record);
                    if (found.Count >= _options.ValueQuorum)
                    {
                        state.OnResponse(e.Peer, []);
                        break;
                    }
                }

                var answered = reply.Closer.Count;
                if (answered > closer.Length)
                {
                    closer = new LookupPeer[answered];
                }

                for (var i = 0; i < answered; i++)
                {
                    var peer = reply.Closer[i];
                    var rtt = Estimate(peer, double.NaN);
                    known.TryAdd(peer.Id, (peer, rtt));
                    closer[i] = new LookupPeer(peer.Id, rtt);
                }

                state.OnResponse(e.Peer, closer.AsSpan(0, answered));
            }
        }
        finally
        {
            // Nobody reads on: requests still running report only to the routing table, and count as
            // this client's background work until they do.
            events.Writer.TryComplete();
            lock (_maintenanceGate)
            {
                _maintenance.RemoveAll(t => t.IsCompleted);
                foreach (var r in requests)
                {
                    if (!r.IsCompleted)
                    {
                        _maintenance.Add(r);
                    }
                }
            }
        }

        var ids = new PeerId[_options.K];
        var count = state.CopyResult(ids);
        var closest = new DhtPeer[count];
        for (var i = 0; i < count; i++)
        {
            closest[i] = known[ids[i]].Peer;
        }

        return (new LookupResult(closest, state.RequestsSent, state.Failures, state.Hops), ValueSelection.Select(found));
    }

    /// <summary>
    /// Sends one lookup request and arms its clock: after <see cref="DhtOptions.HedgeFactor"/> times the
    /// expected answer time the lookup is told it is slow, after <see cref="DhtOptions.PeerTimeoutFactor"/>
    /// times (floored, capped by the request timeout) that it may stop waiting. The expected time is two
    /// round trips at the estimated RTT: a new connection's handshake and the request (the pool usually
    /// holds no connection to a peer met in a lookup). A peer with no estimate is hedged at the lookup's
    /// typical RTT (<paramref name="typicalRttMs"/>). Patience runs from the RTT this node measured
    /// (<see cref="PeerPatience"/>): a peer it never measured is waited for until the request timeout.
    /// </summary>
    private Task StartRequest(DhtPeer peer, double rttMs, double typicalRttMs, PeerId target, bool findValue, ChannelWriter<LookupEvent> events, CancellationToken cancellationToken)
    {
        var hedge = Timeout.InfiniteTimeSpan;
        var requestMs = _options.RequestTimeout.TotalMilliseconds;
        var giveUp = PeerPatience.For(_options, _rtt?.MeasuredRtt(peer.Id) ?? double.NaN);

        var hedgeRtt = IsUsable(rttMs) ? rttMs : typicalRttMs;
        if (_options.HedgeFactor > 0 && IsUsable(hedgeRtt))
        {
            var ms = _options.HedgeFactor * 2 * hedgeRtt;
            if (ms < (giveUp == Timeout.InfiniteTimeSpan ? requestMs : giveUp.TotalMilliseconds))
            {
                hedge = TimeSpan.FromMilliseconds(ms);
            }
        }

        var watch = new RequestWatch(peer.Id, events, hedge, giveUp, _time);
        return RunRequestAsync(peer, target, findValue, watch, cancellationToken);
    }

    private static bool IsUsable(double rttMs) => PeerPatience.IsUsable(rttMs);

    // The median of the known RTT estimates among a lookup's seeds (NaN when none is known).
    private static double MedianKnown(Dictionary<PeerId, (DhtPeer Peer, double RttMs)> seeds)
    {
        var known = new List<double>(seeds.Count);
        foreach (var (_, (_, rtt)) in seeds)
        {
            if (IsUsable(rtt))
            {
                known.Add(rtt);
            }
        }

        if (known.Count == 0)
        {
            return double.NaN;
        }

        known.Sort();
        return known[known.Count / 2];
    }

    private async Task RunRequestAsync(DhtPeer peer, PeerId target, bool findValue, RequestWatch watch, CancellationToken cancellationToken)
    {
        LookupReply reply;
        try
        {
            reply = await RequestAsync(peer, target, findValue, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up on the whole operation: that says nothing about the peer.
            return;
        }
        catch (Exception e)
        {
            // A bug of this node, not the peer's failure: the lookup rethrows it to its caller.
            watch.Events.TryWrite(new LookupEvent(peer.Id, LookupEventKind.Fault, default, ExceptionDispatchInfo.Capture(e)));
            throw;
        }
        finally
        {
            watch.Dispose();
        }

        var now = _time.GetUtcNow();
        if (reply.Failed)
        {
            if (!reply.RateLimited)
            {
                using (_table.Enter(out var table))
                {
                    table.OnRequestFailed(peer.Id, now);
                }
            }
        }
        else
        {
            // The transport fed the answer's round trip (without any handshake) to the estimator before
            // returning, so the estimate now holds this measurement.
            Observe(peer, now, Estimate(peer, reply.ElapsedMs));
        }

        watch.Events.TryWrite(new LookupEvent(peer.Id, LookupEventKind.Answer, reply));
    }

    private async Task<LookupReply> RequestAsync(DhtPeer peer, PeerId target, bool findValue, CancellationToken cancellationToken)
    {
        // Whatever the peer did wrong (timeout, refusal, protocol error), Kademlia treats it as one failed
        // request; the lookup goes on with other candidates. A peer that refused under its rate limit
        // answered, though: it is alive, and the table must not count it as failing.
        if (findValue)
        {
            var value = await _requests.RunAsync(peer, DhtOperations.FindValue, (rpc, p, ct) => rpc.FindValueAsync(p, target, ct), cancellationToken);
            return value.Answered
                ? new LookupReply(false, value.Value!.Closer, value.Value.Record, value.ElapsedMs)
                : new LookupReply(true, [], null, double.NaN, value.RateLimited);
        }

        var nodes = await _requests.RunAsync(peer, DhtOperations.FindNode, (rpc, p, ct) => rpc.FindNodeAsync(p, target, ct), cancellationToken);
        return nodes.Answered ? new LookupReply(false, nodes.Value!, null, nodes.ElapsedMs) : new LookupReply(true, [], null, double.NaN, nodes.RateLimited);
    }

    private void Observe(DhtPeer peer, DateTimeOffset now, double rttMs)
    {
        ObserveResult result;
        using (_table.Enter(out var table))
        {
            result = table.ObserveHeld(peer.Id, peer.Group, now, rttMs, peer.Dialable, _rtt?.CoordinateOf(peer.Id));
        }

        if (result.Outcome == ObserveOutcome.PingRequired)
        {
            StartPing(result.PingTarget!);
        }
    }

    /// <summary>
    /// Pings <paramref name="contact"/>, which the routing table asked to have checked, and reports the
    /// answer to the table; <see cref="WhenMaintenanceIdleAsync"/> waits for it. Used for sightings that
    /// do not come from a lookup, such as inbound requests.
    /// </summary>
    internal void StartPing(Contact contact)
    {
        lock (_maintenanceGate)
        {
            _maintenance.RemoveAll(t => t.IsCompleted);
            _maintenance.Add(PingAndReportAsync(contact));
        }
    }

    private async Task PingAndReportAsync(Contact contact)
    {
        // No answer in time, or any failure the peer caused: the contact did not prove it is alive.
        var ping = await _requests.RunAsync(
            new DhtPeer(contact.Id, contact.Dialable, contact.Group), DhtOperations.Ping, static async (rpc, p, ct) =>
            {
                await rpc.PingAsync(p, ct);
                return true;
            },
            CancellationToken.None);
        using (_table.Enter(out var table))
        {
            table.OnPingResult(contact.Id, ping.Answered, _time.GetUtcNow(), ping.Answered ? ping.ElapsedMs : double.NaN);
        }
    }

    // The estimator's figure (a measured RTT, or one predicted from a coordinate), else what the caller knew.
    private double Estimate(DhtPeer peer, double known)
    {
        var estimate = _rtt?.EstimateRtt(peer) ?? double.NaN;
        return double.IsNaN(estimate) ? known : estimate;
    }
}
