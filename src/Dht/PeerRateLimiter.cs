using Overlay.Crypto;

namespace Overlay.Dht;

/// <summary>
/// Token bucket per peer for inbound requests: <see cref="DhtOptions.MaxRequestsPerPeerPerSecond"/>
/// sustained, <see cref="DhtOptions.RequestBurstPerPeer"/> burst. Time comes in as a parameter, so it
/// runs on the virtual clock in tests. Memory is bounded: at most <c>maxPeers</c> buckets, and a full
/// bucket is indistinguishable from none, so full ones are dropped first.
/// </summary>
public sealed class PeerRateLimiter
{
    private struct Bucket
    {
        public double Tokens;
        public long LastTicks;
    }

    private readonly Dictionary<PeerId, Bucket> _buckets = new();
    private readonly double _ratePerTick;
    private readonly double _burst;
    private readonly int _maxPeers;

    /// <summary>Creates a limiter from <paramref name="options"/> tracking up to <paramref name="maxPeers"/> peers.</summary>
    public PeerRateLimiter(DhtOptions options, int maxPeers = 65_536)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        _ratePerTick = options.MaxRequestsPerPeerPerSecond / TimeSpan.TicksPerSecond;
        _burst = options.RequestBurstPerPeer;
        _maxPeers = maxPeers;
    }

    /// <summary>Peers currently tracked.</summary>
    public int TrackedPeers => _buckets.Count;

    /// <summary>Takes one token for <paramref name="peer"/> at <paramref name="now"/>; false means drop the request.</summary>
    public bool TryAcquire(PeerId peer, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        if (!_buckets.TryGetValue(peer, out var b))
        {
            if (_buckets.Count >= _maxPeers)
            {
                Prune(ticks);
            }

            b = new Bucket { Tokens = _burst, LastTicks = ticks };
        }
        else
        {
            var elapsed = Math.Max(0, ticks - b.LastTicks);
            b.Tokens = Math.Min(_burst, b.Tokens + (elapsed * _ratePerTick));
            b.LastTicks = Math.Max(b.LastTicks, ticks);
        }

        var granted = b.Tokens >= 1;
        if (granted)
        {
            b.Tokens -= 1;
        }

        _buckets[peer] = b;
        return granted;
    }

    private void Prune(long ticks)
    {
        var victims = new List<PeerId>();
        foreach (var (peer, b) in _buckets)
        {
            if (b.Tokens + ((ticks - b.LastTicks) * _ratePerTick) >= _burst)
            {
                victims.Add(peer);
            }
        }

        // Still full of active peers: forget one arbitrary bucket, which at worst grants that peer a fresh burst.
        if (victims.Count == 0)
        {
            foreach (var peer in _buckets.Keys)
            {
                victims.Add(peer);
                break;
            }
        }

        foreach (var peer in victims)
        {
            _buckets.Remove(peer);
        }
    }
}
