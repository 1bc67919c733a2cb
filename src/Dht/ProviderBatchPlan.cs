using Overlay.Crypto;

namespace Overlay.Dht;

/// <summary>
/// How a holder turns the keys of one announcement into one batch per storing peer (docs/PROTOCOL.md, "Batched
/// announcements"): each key is assigned to its k closest peers, and each peer gets one batch of every key it was
/// assigned, cut at the size limit. A key's k closest come from a lookup, or from one made for an earlier key when
/// the k closest to this key among every peer known (the routing table and all lookup results so far) are exactly the
/// peers that lookup found. Keys are fed in ascending order; under the XOR metric keys sharing their k closest share a
/// prefix, so consecutive keys mostly reuse a lookup. No I/O, no clock: the caller looks up and sends.
/// </summary>
public sealed class ProviderBatchPlan
{
    private readonly int _k;
    private readonly HashSet<PeerId> _known = [];
    private readonly List<PeerId> _pool = [];
    private readonly Dictionary<PeerSet, DhtPeer[]> _found = [];
    private readonly Dictionary<PeerId, (DhtPeer Peer, List<PeerId> Keys)> _byPeer = [];

    /// <summary>A plan over the peers in <paramref name="known"/> (the routing table's), with k = <paramref name="k"/> (≥ 1).</summary>
    public ProviderBatchPlan(IEnumerable<PeerId> known, int k)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _k = k;
        foreach (var id in known)
        {
            Know(id);
        }
    }

    /// <summary>Keys assigned to at least one peer.</summary>
    public int Assigned { get; private set; }

    /// <summary>
    /// Assigns <paramref name="key"/> to the peers a lookup already found when they are exactly its k closest among
    /// every peer known; false when it needs a lookup of its own (<see cref="AddLookup"/>).
    /// </summary>
    public bool TryReuse(PeerId key)
    {
        if (_found.Count == 0 || !_found.TryGetValue(new PeerSet(KnownClosest(key)), out var peers))
        {
            return false;
        }

        Assign(key, peers);
        return true;
    }

    /// <summary>Assigns <paramref name="key"/> to <paramref name="closest"/>, the k closest a lookup for it found, and remembers them for later keys.</summary>
    public void AddLookup(PeerId key, IReadOnlyList<DhtPeer> closest)
    {
        ArgumentNullException.ThrowIfNull(closest);
        var peers = closest.DistinctBy(p => p.Id).Take(_k).ToArray();
        if (peers.Length == 0)
        {
            return;
        }

        foreach (var p in peers)
        {
            Know(p.Id);
        }

        _found.TryAdd(new PeerSet(peers.Select(p => p.Id).ToArray()), peers);
        Assign(key, peers);
    }

    /// <summary>
    /// One batch per peer of the keys assigned to it, ascending, cut into runs of at most <paramref name="maxIds"/>;
    /// peers in ascending id order, so the same inputs give the same batches in the same order.
    /// </summary>
    public IReadOnlyList<(DhtPeer Peer, PeerId[] Keys)> Batches(int maxIds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIds, 1);
        var batches = new List<(DhtPeer, PeerId[])>();
        foreach (var (peer, keys) in _byPeer.OrderBy(e => e.Key).Select(e => e.Value))
        {
            keys.Sort();
            for (var at = 0; at < keys.Count; at += maxIds)
            {
                batches.Add((peer, keys.GetRange(at, Math.Min(maxIds, keys.Count - at)).ToArray()));
            }
        }

        return batches;
    }

    private void Know(PeerId id)
    {
        if (_known.Add(id))
        {
            _pool.Add(id);
        }
    }

    private void Assign(PeerId key, DhtPeer[] peers)
    {
        foreach (var peer in peers)
        {
            if (!_byPeer.TryGetValue(peer.Id, out var entry))
            {
                entry = (peer, []);
                _byPeer.Add(peer.Id, entry);
            }

            entry.Keys.Add(key);
        }

        Assigned++;
    }

    // The k peers of the pool nearest the key (fewer when fewer are known), kept by insertion into a sorted array of k.
    private PeerId[] KnownClosest(PeerId key)
    {
        var nearest = new PeerId[Math.Min(_k, _pool.Count)];
        var distances = new PeerId[nearest.Length];
        var filled = 0;
        foreach (var id in _pool)
        {
            var d = key.Xor(id);
            if (filled == nearest.Length && d >= distances[filled - 1])
            {
                continue;
            }

            var at = filled == nearest.Length ? filled - 1 : filled++;
            while (at > 0 && distances[at - 1] > d)
            {
                distances[at] = distances[at - 1];
                nearest[at] = nearest[at - 1];
                at--;
            }

            distances[at] = d;
            nearest[at] = id;
        }

        return nearest;
    }

    // A set of peers compared by members, whatever their order.
    private sealed class PeerSet : IEquatable<PeerSet>
    {
        private readonly PeerId[] _sorted;
        private readonly int _hash;

        public PeerSet(PeerId[] members)
        {
            _sorted = [.. members.Order()];
            var hash = new HashCode();
            foreach (var m in _sorted)
            {
                hash.Add(m);
            }

            _hash = hash.ToHashCode();
        }

        public bool Equals(PeerSet? other) => other is not null && _sorted.AsSpan().SequenceEqual(other._sorted);

        public override bool Equals(object? obj) => Equals(obj as PeerSet);

        public override int GetHashCode() => _hash;
    }
}
