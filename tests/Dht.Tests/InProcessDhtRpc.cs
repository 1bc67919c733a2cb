using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

/// <summary>
/// <see cref="IDhtRpc"/> over the simulated network for one calling node: each request is answered
/// from the remote node's routing table and record store after the pair's RTT on the manual clock;
/// dead nodes never answer, so only the caller's timeout ends those requests.
/// </summary>
internal sealed class InProcessDhtRpc(SimulatedDhtNetwork net, int caller, TimeProvider time, RecordStore?[] stores) : IDhtRpc
{
    private readonly Dictionary<PeerId, int> _index = net.Ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);

    public int LookupRequests { get; private set; }

    public int Pings { get; private set; }

    /// <summary>Extra time before a node answers, on top of the RTT (a slow or overloaded peer).</summary>
    public Dictionary<int, TimeSpan> ExtraDelay { get; } = [];

    /// <summary>Extra time before a node answers FIND_PROVIDERS only (a peer whose record store is slow; lookups unaffected).</summary>
    public Dictionary<int, TimeSpan> ProviderDelay { get; } = [];

    /// <summary>Lookup requests sent, in order: when (on the caller's clock) and to whom.</summary>
    public List<(DateTimeOffset At, PeerId Peer)> Sent { get; } = [];

    public async Task PingAsync(DhtPeer peer, CancellationToken cancellationToken)
    {
        Pings++;
        await ReachAsync(peer, cancellationToken);
    }

    public async Task<IReadOnlyList<DhtPeer>> FindNodeAsync(DhtPeer peer, PeerId target, CancellationToken cancellationToken)
    {
        LookupRequests++;
        Sent.Add((time.GetUtcNow(), peer.Id));
        var node = await ReachAsync(peer, cancellationToken);
        return Closest(node, target);
    }

    public async Task<FindValueResponse> FindValueAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken)
    {
        LookupRequests++;
        Sent.Add((time.GetUtcNow(), peer.Id));
        var node = await ReachAsync(peer, cancellationToken);
        var record = stores[node]?.Get(key, time.GetUtcNow());
        return new FindValueResponse(record, record is null ? Closest(node, key) : []);
    }

    public async Task<RecordRejection> StoreAsync(DhtPeer peer, DhtRecord record, CancellationToken cancellationToken)
    {
        var node = await ReachAsync(peer, cancellationToken);
        return stores[node]?.Put(record, time.GetUtcNow()) ?? RecordRejection.StoreFull;
    }

    public async Task<IReadOnlyList<ProviderRecord>> FindProvidersAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken)
    {
        var node = await ReachAsync(peer, cancellationToken);
        if (ProviderDelay.TryGetValue(node, out var delay))
        {
            await Task.Delay(delay, time, cancellationToken);
        }

        if (stores[node] is not { } store)
        {
            return [];
        }

        var found = new ProviderRecord[net.Options.K];
        return found[..store.GetProviders(key, time.GetUtcNow(), found)];
    }

    public async Task<RecordRejection> StoreProviderAsync(DhtPeer peer, ProviderRecord record, CancellationToken cancellationToken)
    {
        var node = await ReachAsync(peer, cancellationToken);
        return stores[node]?.AddProvider(record, net.Tables[caller].Self, time.GetUtcNow()) ?? RecordRejection.StoreFull;
    }

    public async Task<RecordRejection> StoreProviderBatchAsync(DhtPeer peer, ProviderBatch batch, CancellationToken cancellationToken)
    {
        var node = await ReachAsync(peer, cancellationToken);
        return stores[node]?.AddProviderBatch(batch, net.Tables[caller].Self, time.GetUtcNow()) ?? RecordRejection.StoreFull;
    }

    /// <summary>Thrown by every request to the nodes named here before it leaves: a bug on the calling side, not the peer's doing.</summary>
    public Dictionary<int, Exception> LocalFault { get; } = [];

    private async Task<int> ReachAsync(DhtPeer peer, CancellationToken cancellationToken)
    {
        var node = _index[peer.Id];
        if (LocalFault.TryGetValue(node, out var fault))
        {
            throw fault;
        }

        if (net.Dead[node])
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(net.Rtt(caller, node)) + ExtraDelay.GetValueOrDefault(node), time, cancellationToken);
        return node;
    }

    private DhtPeer[] Closest(int node, PeerId target)
    {
        var contacts = new Contact[net.Options.K];
        var n = net.Tables[node].FindClosest(target, contacts);
        var peers = new DhtPeer[n];
        for (var i = 0; i < n; i++)
        {
            peers[i] = new DhtPeer(contacts[i].Id, contacts[i].Address, contacts[i].Group);
        }

        return peers;
    }
}
