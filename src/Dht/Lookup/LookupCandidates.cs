using Overlay.Crypto;

namespace Overlay.Dht.Lookup;

/// <summary>
/// The peers one lookup knows of: each once, with its XOR distance to the target, predicted latency,
/// request state, path and the depth at which it was learned, kept sorted by distance over all paths and
/// within each path. It only keeps the books; whom to ask next, how many at once and when a path is done
/// are <see cref="LookupState"/>'s policy.
/// </summary>
internal sealed class LookupCandidates
{
    internal struct Candidate
    {
        public PeerId Id;
        public PeerId Distance;
        public double Latency;
        public LookupCandidateState State;

        // In flight past its expected time: no longer holds one of the path's α slots.
        public bool Slow;
        public int Path;
        public int Depth;

        // Failed, or given up on: no longer counts towards a path's k closest.
        public readonly bool IsDead => State is LookupCandidateState.Failed or LookupCandidateState.GaveUp;
    }

    private readonly PeerId _target;
    private readonly PeerId _self;
    private readonly Dictionary<PeerId, int> _index = new();
    private readonly int[][] _pathOrder;
    private readonly int[] _pathCount;
    private Candidate[] _entries = new Candidate[64];
    private int[] _allOrder = new int[64];
    private int _count;

    internal LookupCandidates(PeerId target, PeerId self, int pathCount)
    {
        _target = target;
        _self = self;
        _pathOrder = new int[pathCount][];
        for (var p = 0; p < pathCount; p++)
        {
            _pathOrder[p] = new int[32];
        }

        _pathCount = new int[pathCount];
    }

    /// <summary>The candidate at <paramref name="index"/> (as returned by <see cref="TryFind"/> or a path's order), by reference.</summary>
    internal ref Candidate this[int index] => ref _entries[index];

    internal bool TryFind(PeerId id, out int index) => _index.TryGetValue(id, out index);

    /// <summary>The indices of a path's candidates, closest to the target first. Valid until the next <see cref="TryAdd"/>.</summary>
    internal ReadOnlySpan<int> PathOrder(int path) => _pathOrder[path].AsSpan(0, _pathCount[path]);

    /// <summary>
    /// Adds <paramref name="peer"/> to <paramref name="path"/>, learned at <paramref name="depth"/>, at <paramref name="index"/>;
    /// false for the local id and for a peer already known to any path, so no node is queried by two paths (S/Kademlia §4.4).
    /// </summary>
    internal bool TryAdd(LookupPeer peer, int path, int depth, out int index)
    {
        index = -1;
        if (peer.Id == _self || _index.ContainsKey(peer.Id))
        {
            return false;
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
            Array.Resize(ref _allOrder, _count * 2);
        }

        var distance = peer.Id.Xor(_target);
        var idx = _count++;
        _entries[idx] = new Candidate
        {
            Id = peer.Id,
            Distance = distance,
            Latency = peer.PredictedLatencyMs,
            State = LookupCandidateState.Pending,
            Path = path,
            Depth = depth,
        };
        _index.Add(peer.Id, idx);
        InsertSorted(_allOrder, idx, _count - 1, distance);

        var order = _pathOrder[path];
        if (_pathCount[path] == order.Length)
        {
            Array.Resize(ref order, order.Length * 2);
            _pathOrder[path] = order;
        }

        InsertSorted(order, idx, _pathCount[path]++, distance);
        index = idx;
        return true;
    }

    /// <summary>The closest candidate of a path that has not failed (or been given up on), or -1.</summary>
    internal int ClosestLive(int path)
    {
        foreach (var idx in PathOrder(path))
        {
            if (!_entries[idx].IsDead)
            {
                return idx;
            }
        }

        return -1;
    }

    /// <summary>Writes the closest candidates that answered, over all paths, closest first; returns how many (at most <paramref name="limit"/>).</summary>
    internal int CopyAnswered(Span<PeerId> destination, int limit)
    {
        var n = 0;
        for (var i = 0; i < _count && n < limit; i++)
        {
            ref var e = ref _entries[_allOrder[i]];
            if (e.State == LookupCandidateState.Answered)
            {
                destination[n++] = e.Id;
            }
        }

        return n;
    }

    /// <summary>The depth of the closest candidate that answered, over all paths; 0 when none did.</summary>
    internal int ClosestAnsweredDepth()
    {
        for (var i = 0; i < _count; i++)
        {
            ref var e = ref _entries[_allOrder[i]];
            if (e.State == LookupCandidateState.Answered)
            {
                return e.Depth;
            }
        }

        return 0;
    }

    private void InsertSorted(int[] order, int idx, int used, PeerId distance)
    {
        // Binary search for the first entry farther than `distance`, then shift.
        int lo = 0, hi = used;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_entries[order[mid]].Distance < distance)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        Array.Copy(order, lo, order, lo + 1, used - lo);
        order[lo] = idx;
    }
}
