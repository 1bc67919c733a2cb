using Overlay.Crypto;
using Overlay.Node.Files;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests.Files;

/// <summary>
/// Shards kept in a dictionary, standing in for the network: placed on named fake peers, fetched back,
/// every fetch counted. <see cref="Lie"/> makes it hand out other bytes for chosen shards,
/// <see cref="Lost"/> makes chosen shards unobtainable. Safe for the concurrent placements and fetches a
/// file's stripes and a directory's files make; tests read its collections once the operation ended.
/// </summary>
internal sealed class DictionaryShards(int peers = 20) : IShardSource, IShardPlacer
{
    private readonly PeerId[] _peers = [.. Enumerable.Range(0, peers).Select(i => PeerId.Random(new Random(i)))];
    private readonly Dictionary<ShardId, byte[]> _shards = [];
    private readonly Lock _gate = new();

    public Dictionary<ShardId, PeerId> HolderOf { get; } = [];

    /// <summary>How many holders each placement asked for, per shard id, in the order asked.</summary>
    public Dictionary<ShardId, List<int>> HoldersAsked { get; } = [];

    public HashSet<ShardId> Lie { get; } = [];

    public HashSet<ShardId> Lost { get; } = [];

    public List<ShardId> Fetches { get; } = [];

    /// <summary>Round trips to the fake peers (ms) that <see cref="LocateAsync"/> ranks holders by; peers not in it are unmeasured.</summary>
    public Dictionary<PeerId, double> RoundTrips { get; } = [];

    public IReadOnlyList<PeerId> Peers => _peers;

    /// <summary>Called before each fetch; may throw to simulate a failure.</summary>
    public Action<ShardId>? BeforeFetch { get; set; }

    public byte[] this[ShardId id]
    {
        get
        {
            lock (_gate)
            {
                return _shards[id];
            }
        }

        set
        {
            lock (_gate)
            {
                _shards[id] = value;
            }
        }
    }

    public Task<byte[]> FetchAsync(ShardId id, CancellationToken cancellationToken)
    {
        BeforeFetch?.Invoke(id);
        byte[]? bytes;
        lock (_gate)
        {
            Fetches.Add(id);
            if (Lost.Contains(id) || !_shards.TryGetValue(id, out bytes))
            {
                throw new ShardExchangeException(ShardRefusal.NotFound, $"No holder gave shard {id}.");
            }
        }

        if (Lie.Contains(id))
        {
            var other = bytes.ToArray();
            other[0] ^= 0x5a;
            return Task.FromResult(other);
        }

        return Task.FromResult(bytes.ToArray());
    }

    public Task<ShardLocation> LocateAsync(ShardId id, CancellationToken cancellationToken)
    {
        PeerId peer;
        bool known;
        lock (_gate)
        {
            known = HolderOf.TryGetValue(id, out peer);
        }

        var holders = known ? [new HolderCandidate(peer, TransportAddress.Parse("tcp://192.0.2.1:4001"))] : Array.Empty<HolderCandidate>();
        return Task.FromResult(HolderRanking.Rank(id, holders, RoundTrips));
    }

    public Task<byte[]> FetchAsync(ShardLocation location, CancellationToken cancellationToken) => FetchAsync(location.Id, cancellationToken);

    public PeerId? Preferred(ShardId id, IReadOnlySet<PeerId> avoid) => Order(id, avoid).First();

    public Task<IReadOnlyList<PeerId>> PlaceAsync(ShardId id, ReadOnlyMemory<byte> data, IReadOnlySet<PeerId> avoid, int holders, CancellationToken cancellationToken)
    {
        Assert.Equal(id, ShardId.Compute(data.Span));
        var chosen = Order(id, avoid).Take(holders).ToList();
        lock (_gate)
        {
            _shards[id] = data.ToArray();
            HolderOf[id] = chosen[0];
            (HoldersAsked.TryGetValue(id, out var asked) ? asked : HoldersAsked[id] = []).Add(holders);
        }

        return Task.FromResult<IReadOnlyList<PeerId>>(chosen);
    }

    private IEnumerable<PeerId> Order(ShardId id, IReadOnlySet<PeerId> avoid)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        id.WriteTo(bytes);
        var target = PeerId.FromBytes(bytes);
        var sorted = _peers.OrderBy(p => p.Xor(target)).ToList();
        return sorted.Where(p => !avoid.Contains(p)).Concat(sorted.Where(avoid.Contains));
    }
}
