using Overlay.Crypto;

namespace Overlay.Placement.Selection;

/// <summary>
/// Scratch state of one selection, kept per thread by <see cref="ShardPlacer"/> so that selecting allocates
/// nothing once the buffers have grown: the bounded heap of smallest keys, the replicas chosen so far with
/// their cluster counts, and the candidates passed over for a cap.
/// </summary>
internal sealed class SelectionWorkspace
{
    private const int MaxReplicas = 64;

    private readonly int[] _chosen = new int[MaxReplicas];
    private readonly PeerId[] _chosenPeers = new PeerId[MaxReplicas];
    private readonly int[] _near = new int[MaxReplicas];
    private double[] _heapKeys = new double[64];
    private int[] _heapIndexes = new int[64];
    private int[] _passed = new int[64];
    private WeightedCandidates _set = null!;
    private PeerId _requester;
    private long _requiredBytes;
    private int _clusterCap;
    private double _radiusSquared;
    private int _holders;
    private int _chosenCount;
    private int _passedCount;

    /// <summary>Replicas counted so far: holders and new ones.</summary>
    public int ChosenCount => _chosenCount;

    /// <summary>New replicas chosen within the caps so far.</summary>
    public int NewCount => _chosenCount - _holders;

    public void Begin(WeightedCandidates set, int replicas, double clusterRadiusMs, PeerId requester, long requiredBytes)
    {
        _set = set;
        _requester = requester;
        _requiredBytes = requiredBytes;
        _clusterCap = (replicas + 1) / 2;
        _radiusSquared = clusterRadiusMs * clusterRadiusMs;
        _holders = 0;
        _chosenCount = 0;
        _passedCount = 0;
        if (_heapKeys.Length < set.Count)
        {
            // Grown once to the set's size, so a later look through the whole set needs no allocation.
            _heapKeys = new double[set.Count];
            _heapIndexes = new int[set.Count];
            _passed = new int[set.Count];
        }
    }

    /// <summary>Counts the current holders as chosen: they take part in the caps and are never chosen again.</summary>
    public void AddHolders(ReadOnlySpan<PeerId> holders)
    {
        foreach (var holder in holders)
        {
            if (_chosenCount == MaxReplicas || IsChosen(holder))
            {
                continue;
            }

            // A holder missing from the candidates still counts towards r, with no network or coordinate known.
            var index = _set.Peers.IndexOf(holder);
            Accept(index, holder);
        }

        _holders = _chosenCount;
    }

    /// <summary>Forgets the new replicas and passed-over candidates, keeping the holders.</summary>
    public void Restart()
    {
        _chosenCount = _holders;
        _passedCount = 0;
        for (var c = 0; c < _chosenCount; c++)
        {
            var own = 1;
            for (var d = 0; d < _chosenCount; d++)
            {
                own += d != c && Near(_chosen[c], _chosen[d]) ? 1 : 0;
            }

            _near[c] = own;
        }
    }

    /// <summary>
    /// Takes candidates in ascending key order among the <paramref name="heapSize"/> smallest keys, passing over
    /// the requester, candidates short of space, duplicates and cap breakers, until <paramref name="output"/>
    /// is full. Returns the number of new replicas chosen.
    /// </summary>
    public int TakeInKeyOrder(ulong seed, int heapSize, Span<int> output)
    {
        var count = FillHeap(seed, heapSize);
        SortHeapAscending(count);
        var peers = _set.Peers;
        var free = _set.FreeBytes;
        for (var k = 0; k < count && NewCount < output.Length; k++)
        {
            var index = _heapIndexes[k];
            var peer = peers[index];
            if (peer == _requester || free[index] < _requiredBytes || IsChosen(peer))
            {
                continue;
            }

            if (SharesSubnet(index) > 0 || BreaksClusterCap(index))
            {
                _passed[_passedCount++] = index;
                continue;
            }

            output[NewCount] = index;
            Accept(index, peer);
        }

        return NewCount;
    }

    /// <summary>
    /// Fills the rest of <paramref name="output"/> from the passed-over candidates, the one with the fewest
    /// conflicts first (sharing a subnet weighs more than crowding a cluster), earlier keys winning ties.
    /// Returns how many were taken and how many of them break each cap.
    /// </summary>
    public int TakePassedOver(Span<int> output, out int subnet, out int cluster)
    {
        subnet = 0;
        cluster = 0;
        var taken = 0;
        var peers = _set.Peers;
        while (NewCount < output.Length)
        {
            var best = -1;
            var bestPenalty = long.MaxValue;
            for (var k = 0; k < _passedCount; k++)
            {
                var index = _passed[k];
                if (index < 0 || IsChosen(peers[index]))
                {
                    continue;
                }

                var penalty = ((long)SharesSubnet(index) * (MaxReplicas + 1)) + NearCount(index);
                if (penalty < bestPenalty)
                {
                    bestPenalty = penalty;
                    best = k;
                }
            }

            if (best < 0)
            {
                break;
            }

            var chosen = _passed[best];
            _passed[best] = -1;
            subnet += SharesSubnet(chosen) > 0 ? 1 : 0;
            cluster += BreaksClusterCap(chosen) ? 1 : 0;
            output[NewCount] = chosen;
            Accept(chosen, peers[chosen]);
            taken++;
        }

        return taken;
    }

    private int FillHeap(ulong seed, int heapSize)
    {
        var keys = _set.PeerKeys;
        var inverse = _set.InverseWeights;
        var heapKeys = _heapKeys;
        var heapIndexes = _heapIndexes;
        var count = 0;
        for (var i = 0; i < inverse.Length; i++)
        {
            var inv = inverse[i];
            if (double.IsPositiveInfinity(inv))
            {
                continue;
            }

            var u = ShardPlacer.Uniform(seed, keys[i]);
            if (count == heapSize)
            {
                // −ln u ≥ 1 − u, so a candidate whose lower bound already exceeds the largest kept key cannot
                // enter: most candidates are turned away here without a logarithm.
                if ((1 - u) * inv >= heapKeys[0])
                {
                    continue;
                }

                var key = -Math.Log(u) * inv;
                if (key < heapKeys[0])
                {
                    heapKeys[0] = key;
                    heapIndexes[0] = i;
                    SiftDown(0, count);
                }
            }
            else
            {
                var key = -Math.Log(u) * inv;
                var at = count++;
                heapKeys[at] = key;
                heapIndexes[at] = i;
                SiftUp(at);
            }
        }

        return count;
    }

    // A max-heap on key; ties broken by index so the order is a function of the keys alone.
    private bool Above(int a, int b) => _heapKeys[a] > _heapKeys[b] || (_heapKeys[a] == _heapKeys[b] && _heapIndexes[a] > _heapIndexes[b]);

    private void SiftUp(int at)
    {
        while (at > 0)
        {
            var parent = (at - 1) >> 1;
            if (!Above(at, parent))
            {
                return;
            }

            Swap(at, parent);
            at = parent;
        }
    }

    private void SiftDown(int at, int count)
    {
        while (true)
        {
            var left = (2 * at) + 1;
            if (left >= count)
            {
                return;
            }

            var largest = left + 1 < count && Above(left + 1, left) ? left + 1 : left;
            if (!Above(largest, at))
            {
                return;
            }

            Swap(at, largest);
            at = largest;
        }
    }

    private void SortHeapAscending(int count)
    {
        for (var end = count - 1; end > 0; end--)
        {
            Swap(0, end);
            SiftDown(0, end);
        }
    }

    private void Swap(int a, int b)
    {
        (_heapKeys[a], _heapKeys[b]) = (_heapKeys[b], _heapKeys[a]);
        (_heapIndexes[a], _heapIndexes[b]) = (_heapIndexes[b], _heapIndexes[a]);
    }

    private bool IsChosen(PeerId peer)
    {
        for (var c = 0; c < _chosenCount; c++)
        {
            if (_chosenPeers[c] == peer)
            {
                return true;
            }
        }

        return false;
    }

    private void Accept(int index, PeerId peer)
    {
        var slot = _chosenCount++;
        _chosen[slot] = index;
        _chosenPeers[slot] = peer;
        _near[slot] = 0;
        RecountNear(slot);
    }

    // Counts the new member into its own cluster count and those of the members near it.
    private void RecountNear(int slot)
    {
        var index = _chosen[slot];
        var own = 1;
        for (var c = 0; c < _chosenCount; c++)
        {
            if (c != slot && Near(index, _chosen[c]))
            {
                own++;
                _near[c]++;
            }
        }

        _near[slot] = own;
    }

    private int SharesSubnet(int index)
    {
        var group = _set.Groups[index];
        if (group == 0)
        {
            return 0;
        }

        var shared = 0;
        for (var c = 0; c < _chosenCount; c++)
        {
            var other = _chosen[c];
            if (other >= 0 && _set.Groups[other] == group)
            {
                shared++;
            }
        }

        return shared;
    }

    private int NearCount(int index)
    {
        var near = 0;
        for (var c = 0; c < _chosenCount; c++)
        {
            if (Near(index, _chosen[c]))
            {
                near++;
            }
        }

        return near;
    }

    // Adding the candidate must keep its own cluster, and the cluster of every member near it, within ⌈r/2⌉.
    private bool BreaksClusterCap(int index)
    {
        var own = 1;
        for (var c = 0; c < _chosenCount; c++)
        {
            if (Near(index, _chosen[c]))
            {
                own++;
                if (_near[c] + 1 > _clusterCap)
                {
                    return true;
                }
            }
        }

        return own > _clusterCap;
    }

    /// <summary>
    /// Same region when either announces one; otherwise coordinates within the cluster radius. Unknown holders
    /// (index −1) and unknown coordinates are near nothing.
    /// </summary>
    private bool Near(int a, int b)
    {
        if (a < 0 || b < 0)
        {
            return false;
        }

        var regions = _set.Regions;
        if (regions[a] != 0 || regions[b] != 0)
        {
            return regions[a] == regions[b];
        }

        var dx = _set.X[a] - _set.X[b];
        var dy = _set.Y[a] - _set.Y[b];
        // NaN (an unknown coordinate) fails the comparison: near nothing.
        return (dx * dx) + (dy * dy) <= _radiusSquared;
    }
}
