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
    private readonly long _refillTicks;
    private long _lastSweepTicks;

    /// <summary>Creates a limiter from <paramref name="options"/> tracking up to <paramref name="maxPeers"/> peers.</summary>
    public PeerRateLimiter(DhtOptions options, int maxPeers = 65_536)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        _ratePerTick = options.MaxRequestsPerPeerPerSecond / TimeSpan.TicksPerSecond;
        _burst = options.RequestBurstPerPeer;
        _maxPeers = maxPeers;
        _refillTicks = (long)Math.Ceiling(_burst / Math.Max(_ratePerTick, 1e-12));
    }

    /// <summary>Peers currently tracked.</summary>
    public int TrackedPeers => _buckets.Count;

    /// <summary>Takes one token for <paramref name="peer"/> at <paramref name="now"/>; false means drop the request.</summary>
    public bool TryAcquire(PeerId peer, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        if (ticks - _lastSweepTicks >= _refillTicks)
        {
            // Once per refill period, forget the buckets that have refilled: a full bucket grants exactly
            // what a fresh one would, and an idle node should not keep one per peer that ever asked.
            _lastSweepTicks = ticks;
            ForgetRefilled(ticks);
        }

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

    /// <summary>
    /// Forgets every peer whose bucket has refilled by <paramref name="now"/> (they would get a fresh bucket
    /// anyway) and shrinks the table; runs by itself once per refill period while requests come in, and
    /// from node maintenance so that an idle node holds nothing.
    /// </summary>
    public void Trim(DateTimeOffset now)
    {
        _lastSweepTicks = now.UtcTicks;
        ForgetRefilled(now.UtcTicks);
    }

    private void ForgetRefilled(long ticks)
    {
        if (_buckets.Count == 0)
        {
            return;
        }

        foreach (var (peer, b) in _buckets)
        {
            if (b.Tokens + ((ticks - b.LastTicks) * _ratePerTick) >= _burst)
            {
                // Removing during enumeration is allowed for Dictionary since .NET Core 3.0.
                _buckets.Remove(peer);
            }
        }

        // The table only grows otherwise; give back the slots of a burst of peers that has gone quiet.
        if (_buckets.Count < _buckets.EnsureCapacity(0) / 4)
        {
            _buckets.TrimExcess();
        }
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
