using Overlay.Crypto;

namespace Overlay.Node.Trust;

/// <summary>
/// How many bytes of <c>trust/1</c> answers each peer may still draw: a token bucket per peer, <c>depth</c> bytes
/// deep, refilled at <c>depth</c> per hour on the injected clock. A request is admitted while the bucket holds at
/// least <see cref="MinimumCost"/>; its answer is then charged in full (the bucket may go into debt by one answer).
/// At most <see cref="MaxTrackedPeers"/> buckets are kept; when full, those refilled to the brim are forgotten
/// (a forgotten peer starts full, as it would have been), and if none is, a new peer waits.
/// </summary>
internal sealed class TrustServeBudget(long depth, TimeProvider time)
{
    /// <summary>What every request costs at least, so an empty one is not free.</summary>
    public const int MinimumCost = 1024;

    /// <summary>Peers whose buckets are kept.</summary>
    public const int MaxTrackedPeers = 4096;

    private readonly Dictionary<PeerId, Bucket> _buckets = [];

    /// <summary>Whether <paramref name="peer"/> may be answered now.</summary>
    public bool TryAdmit(PeerId peer)
    {
        var now = time.GetTimestamp();
        lock (_buckets)
        {
            if (!_buckets.TryGetValue(peer, out var bucket))
            {
                if (_buckets.Count >= MaxTrackedPeers && ForgetFull(now) == 0)
                {
                    return false;
                }

                bucket = new Bucket(depth, now);
            }

            bucket = Refill(bucket, now);
            _buckets[peer] = bucket;
            return bucket.Tokens >= MinimumCost;
        }
    }

    /// <summary>Charges <paramref name="peer"/> for an answer of <paramref name="bytes"/>.</summary>
    public void Charge(PeerId peer, int bytes)
    {
        lock (_buckets)
        {
            if (_buckets.TryGetValue(peer, out var bucket))
            {
                _buckets[peer] = bucket with { Tokens = bucket.Tokens - Math.Max(MinimumCost, bytes) };
            }
        }
    }

    private Bucket Refill(Bucket bucket, long now)
    {
        var elapsed = time.GetElapsedTime(bucket.At, now);
        var tokens = Math.Min(depth, bucket.Tokens + (long)(depth * elapsed.TotalHours));
        return new Bucket(tokens, now);
    }

    private int ForgetFull(long now)
    {
        var full = _buckets.Where(b => Refill(b.Value, now).Tokens >= depth).Select(b => b.Key).ToList();
        foreach (var peer in full)
        {
            _buckets.Remove(peer);
        }

        return full.Count;
    }

    private readonly record struct Bucket(long Tokens, long At);
}
