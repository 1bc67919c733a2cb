namespace Overlay.Erasure.Decoding;

/// <summary>
/// Decode plans by erasure pattern, least recently used evicted first, bounded by the bytes the plans
/// hold: a plan costs a matrix inversion (O(k³)) and its expansion, far more than a short stripe's
/// decode, and a fetch meets the same pattern for every stripe of a file whose holders are down.
/// Thread-safe; a hit allocates nothing.
/// </summary>
internal sealed class DecodePlanCache
{
    private readonly long _budgetBytes;
    private readonly Dictionary<ErasurePattern, LinkedListNode<(ErasurePattern Key, DecodePlan Plan)>> _byPattern = [];
    private readonly LinkedList<(ErasurePattern Key, DecodePlan Plan)> _recency = new();
    private readonly Lock _gate = new();
    private long _heldBytes;

    public DecodePlanCache(long budgetBytes)
    {
        _budgetBytes = budgetBytes;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byPattern.Count;
            }
        }
    }

    public long HeldBytes
    {
        get
        {
            lock (_gate)
            {
                return _heldBytes;
            }
        }
    }

    public bool TryGet(in ErasurePattern pattern, out DecodePlan plan)
    {
        lock (_gate)
        {
            if (_byPattern.TryGetValue(pattern, out var node))
            {
                if (node != _recency.First)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                }

                plan = node.Value.Plan;
                return true;
            }
        }

        plan = null!;
        return false;
    }

    /// <summary>Adds a plan built outside the lock; a plan another thread added first wins.</summary>
    public DecodePlan Add(in ErasurePattern pattern, DecodePlan plan)
    {
        if (plan.SizeInBytes > _budgetBytes)
        {
            return plan;
        }

        lock (_gate)
        {
            if (_byPattern.TryGetValue(pattern, out var existing))
            {
                return existing.Value.Plan;
            }

            while (_heldBytes + plan.SizeInBytes > _budgetBytes && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _byPattern.Remove(oldest.Value.Key);
                _heldBytes -= oldest.Value.Plan.SizeInBytes;
            }

            _byPattern.Add(pattern, _recency.AddFirst((pattern, plan)));
            _heldBytes += plan.SizeInBytes;
            return plan;
        }
    }
}
