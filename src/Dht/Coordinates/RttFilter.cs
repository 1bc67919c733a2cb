using Overlay.Crypto;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// Per-peer median of the last few RTT samples. Single queueing spikes are common on real paths and a
/// spring model follows every one of them; a short median removes them while still tracking real route
/// changes within a window (Ledlie et al., "Network Coordinates in the Wild", NSDI 2007, use a similar filter).
/// </summary>
public sealed class RttFilter
{
    private sealed class Window(int size)
    {
        public readonly double[] Samples = new double[size];
        public int Count;
        public int Next;
    }

    private readonly Dictionary<PeerId, Window> _windows = new();
    private readonly int _size;
    private readonly int _maxPeers;

    /// <summary>Creates a filter keeping <paramref name="windowSize"/> samples for up to <paramref name="maxPeers"/> peers.</summary>
    public RttFilter(int windowSize, int maxPeers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowSize, 32);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        _size = windowSize;
        _maxPeers = maxPeers;
    }

    /// <summary>Peers with a window.</summary>
    public int Count => _windows.Count;

    /// <summary>Adds a sample (ms) for <paramref name="peer"/> and returns the median of its window.</summary>
    public double Add(PeerId peer, double rttMs)
    {
        if (!_windows.TryGetValue(peer, out var w))
        {
            if (_windows.Count >= _maxPeers)
            {
                // Bounded memory against peers churning through ids: forget an arbitrary window.
                foreach (var key in _windows.Keys)
                {
                    _windows.Remove(key);
                    break;
                }
            }

            w = new Window(_size);
            _windows.Add(peer, w);
        }

        w.Samples[w.Next] = rttMs;
        w.Next = (w.Next + 1) % _size;
        if (w.Count < _size)
        {
            w.Count++;
        }

        Span<double> sorted = stackalloc double[w.Count];
        w.Samples.AsSpan(0, w.Count).CopyTo(sorted);
        sorted.Sort();
        return (w.Count & 1) == 1 ? sorted[w.Count / 2] : (sorted[(w.Count / 2) - 1] + sorted[w.Count / 2]) / 2;
    }

    /// <summary>Forgets <paramref name="peer"/>'s samples.</summary>
    public void Forget(PeerId peer) => _windows.Remove(peer);
}
