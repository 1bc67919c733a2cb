using System.Net;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Lookup;
using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

/// <summary>
/// A test double for the whole network: thousands of routing tables in one process, each answering
/// FIND_NODE straight from its table, with round-trip times taken from a measured matrix (each node is
/// placed on a seeded random host) and a discrete-event loop that advances simulated time to the next
/// answer or timeout. Dead nodes never answer; their requests fail after the request timeout.
/// </summary>
internal sealed class SimulatedDhtNetwork
{
    private readonly int[] _host;
    private readonly LatencyMatrix _latency;
    private readonly Dictionary<PeerId, int> _byId = new();
    private readonly DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public SimulatedDhtNetwork(int nodes, int seed, LatencyMatrix latency, DhtOptions options, double deadFraction = 0)
    {
        var random = new Random(seed);
        _latency = latency;
        Options = options;
        Ids = new PeerId[nodes];
        Tables = new RoutingTable[nodes];
        Dead = new bool[nodes];
        _host = new int[nodes];
        var groups = new NetworkGroup[nodes];
        Span<byte> address = stackalloc byte[4];
        for (var i = 0; i < nodes; i++)
        {
            Ids[i] = PeerId.Random(random);
            _byId.Add(Ids[i], i);
            _host[i] = random.Next(latency.Count);
            random.NextBytes(address);
            groups[i] = NetworkGroup.FromAddress(new IPAddress(address));
            Dead[i] = random.NextDouble() < deadFraction;
            Tables[i] = new RoutingTable(Ids[i], options, _now);
        }

        // Every node hears of every other in its own random order; full buckets keep the live
        // incumbent (pings always answered here), as Kademlia does.
        var order = new int[nodes];
        for (var i = 0; i < nodes; i++)
        {
            order[i] = i;
        }

        for (var i = 0; i < nodes; i++)
        {
            random.Shuffle(order);
            foreach (var j in order)
            {
                var result = Tables[i].Observe(Ids[j], groups[j], _now, Rtt(i, j));
                if (result.Outcome == ObserveOutcome.PingRequired)
                {
                    Tables[i].OnPingResult(result.PingTarget!.Id, answered: true, _now);
                }
            }
        }
    }

    public DhtOptions Options { get; }

    public PeerId[] Ids { get; }

    public RoutingTable[] Tables { get; }

    public bool[] Dead { get; }

    /// <summary>Round-trip time between nodes in ms: the matrix entry of their hosts, at least 1 ms.</summary>
    public double Rtt(int a, int b) => Math.Max(1.0, _latency[_host[a], _host[b]]);

    /// <summary>
    /// What node a predicts for its RTT to b: the true RTT times a fixed per-pair error factor in
    /// [0.75, 1.25], standing in for a network-coordinate estimate.
    /// </summary>
    public double PredictedRtt(int a, int b)
    {
        var h = (uint)HashCode.Combine(a, b, 0x5eed);
        var factor = 0.75 + (0.5 * (h % 10_000) / 10_000.0);
        return Rtt(a, b) * factor;
    }

    /// <summary>The true k closest live nodes to <paramref name="target"/> other than <paramref name="exclude"/>, closest first.</summary>
    public PeerId[] TrueClosest(PeerId target, int k, int exclude)
    {
        var best = new List<PeerId>(k + 1);
        for (var i = 0; i < Ids.Length; i++)
        {
            if (i == exclude || Dead[i])
            {
                continue;
            }

            var d = Ids[i].Xor(target);
            if (best.Count == k && d >= best[k - 1].Xor(target))
            {
                continue;
            }

            var pos = best.Count;
            while (pos > 0 && best[pos - 1].Xor(target) > d)
            {
                pos--;
            }

            best.Insert(pos, Ids[i]);
            if (best.Count > k)
            {
                best.RemoveAt(k);
            }
        }

        return best.ToArray();
    }

    /// <summary>Runs one lookup from <paramref name="source"/> to completion in simulated time.</summary>
    /// <param name="holders">
    /// Nodes storing a value under <paramref name="target"/>: the time of the first answer from one of them
    /// is reported as the value-lookup latency (a FIND_VALUE stops there).
    /// </param>
    public LookupOutcome RunLookup(int source, PeerId target, bool preferLowLatency, int disjointPaths = 0, List<LookupRequest>? sent = null, HashSet<PeerId>? holders = null)
    {
        var firstHolderMs = double.NaN;
        var k = Options.K;
        var state = new LookupState(target, Ids[source], k, Options.Alpha, disjointPaths, preferLowLatency);
        var contacts = new Contact[k];
        Span<LookupPeer> peers = stackalloc LookupPeer[k];
        var n = Tables[source].FindClosest(target, contacts);
        for (var i = 0; i < n; i++)
        {
            peers[i] = new LookupPeer(contacts[i].Id, PredictedRtt(source, _byId[contacts[i].Id]));
        }

        state.AddSeeds(peers[..n]);
        var events = new PriorityQueue<int, double>();
        var now = 0.0;
        var timeoutMs = Options.RequestTimeout.TotalMilliseconds;
        while (true)
        {
            while (state.TryGetNextRequest(out var request))
            {
                sent?.Add(request);
                var peer = _byId[request.Peer];
                events.Enqueue(peer, now + (Dead[peer] ? timeoutMs : Rtt(source, peer)));
            }

            if (state.IsFinished || !events.TryDequeue(out var responder, out var at))
            {
                break;
            }

            now = at;
            if (Dead[responder])
            {
                state.OnFailure(Ids[responder]);
                continue;
            }

            if (double.IsNaN(firstHolderMs) && holders is not null && holders.Contains(Ids[responder]))
            {
                firstHolderMs = now;
            }

            n = Tables[responder].FindClosest(target, contacts);
            for (var i = 0; i < n; i++)
            {
                peers[i] = new LookupPeer(contacts[i].Id, PredictedRtt(source, _byId[contacts[i].Id]));
            }

            state.OnResponse(Ids[responder], peers[..n]);
        }

        var result = new PeerId[k];
        var count = state.CopyResult(result);
        return new LookupOutcome(result[..count], now, state.Hops, state.RequestsSent, state.IsFinished, firstHolderMs);
    }
}

internal readonly record struct LookupOutcome(PeerId[] Result, double LatencyMs, int Hops, int Requests, bool Finished, double FirstHolderMs);
