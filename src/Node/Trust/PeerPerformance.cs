using Overlay.Crypto;

namespace Overlay.Node.Trust;

/// <summary>
/// What this node measured of each peer's exchanges: how many succeeded and how many did not, refusals
/// included (a peer that announces room and then refuses stores loses placement weight, not trust). Both
/// counts decay with the local-trust half-life, so the rate follows recent behaviour. At most
/// <c>maxPeers</c> entries; the peer dealt with least recently is forgotten beyond that. Thread-safe.
/// </summary>
public sealed class PeerPerformance
{
    private readonly Dictionary<PeerId, Entry> _entries = new();
    private readonly Lock _gate = new();
    private readonly double _halfLifeTicks;
    private readonly int _maxPeers;

    /// <summary>A table whose counts halve every <paramref name="halfLife"/>, holding at most <paramref name="maxPeers"/> peers.</summary>
    public PeerPerformance(TimeSpan halfLife, int maxPeers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(halfLife, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        _halfLifeTicks = halfLife.Ticks;
        _maxPeers = maxPeers;
    }

    /// <summary>Peers with an entry.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Counts one exchange with <paramref name="peer"/> at <paramref name="at"/>.</summary>
    public void Record(PeerId peer, bool succeeded, DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        lock (_gate)
        {
            if (!_entries.TryGetValue(peer, out var entry))
            {
                if (_entries.Count >= _maxPeers)
                {
                    ForgetOldest();
                }

                entry = new Entry(0, 0, ticks);
            }

            entry = entry.DecayedTo(ticks, _halfLifeTicks);
            _entries[peer] = succeeded ? entry with { Succeeded = entry.Succeeded + 1 } : entry with { Failed = entry.Failed + 1 };
        }
    }

    /// <summary>
    /// The share of exchanges with <paramref name="peer"/> that succeeded, Laplace-smoothed ((s + 1) / (s + f + 2)),
    /// so one exchange moves it only part of the way; NaN for a peer never dealt with (placement then counts it as 0.5).
    /// </summary>
    public double SuccessRate(PeerId peer)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(peer, out var e) ? (e.Succeeded + 1) / (e.Succeeded + e.Failed + 2) : double.NaN;
        }
    }

    private void ForgetOldest()
    {
        var oldest = default(PeerId);
        var oldestTicks = long.MaxValue;
        foreach (var (peer, entry) in _entries)
        {
            if (entry.UpdatedTicks < oldestTicks)
            {
                oldestTicks = entry.UpdatedTicks;
                oldest = peer;
            }
        }

        _entries.Remove(oldest);
    }

    private readonly record struct Entry(double Succeeded, double Failed, long UpdatedTicks)
    {
        public Entry DecayedTo(long ticks, double halfLifeTicks)
        {
            if (ticks <= UpdatedTicks)
            {
                return this;
            }

            var factor = Math.Pow(2, -(ticks - UpdatedTicks) / halfLifeTicks);
            return new Entry(Succeeded * factor, Failed * factor, ticks);
        }
    }
}
