using Overlay.Crypto;

namespace Overlay.Dht.Coordinates;

/// <summary>
/// Per-peer median of the last few RTT samples. Single queueing spikes are common on real paths and a
/// spring model follows every one of them; a short median removes them while still tracking real route
/// changes within a window (Ledlie et al., "Network Coordinates in the Wild", NSDI 2007, use a similar filter).
/// Each peer also keeps the last coordinate it reported, so that one map serves both the filter and
/// latency prediction.
/// </summary>
/// <remarks>
/// A node keeps this state for hundreds of peers, so it lives in flat arrays indexed by a slot per peer
/// (samples and coordinates as <see cref="float"/>: RTTs in ms need no more precision) instead of an
/// object per peer, keyed by the first 64 bits of the PeerId (ids are BLAKE3 hashes, so finding another
/// key with a chosen peer's prefix costs about 2^64 hashes; a chance collision would only merge two
/// filters): about 60 bytes per peer with the default window of 5 instead of about 290.
/// </remarks>
public sealed class RttFilter
{
    private const int CoordinateFields = 3;

    private readonly Dictionary<ulong, int> _slots = new();
    private readonly Stack<int> _free = new();
    private readonly int _size;
    private readonly int _maxPeers;
    private float[] _samples = [];
    private float[] _coordinates = [];
    private byte[] _count = [];
    private byte[] _next = [];
    private int _used;

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
    public int Count => _slots.Count;

    /// <summary>Adds a sample (ms) for <paramref name="peer"/> and returns the median of its window.</summary>
    public double Add(PeerId peer, double rttMs)
    {
        var slot = SlotOf(peer);
        var at = slot * _size;
        _samples[at + _next[slot]] = (float)rttMs;
        _next[slot] = (byte)((_next[slot] + 1) % _size);
        if (_count[slot] < _size)
        {
            _count[slot]++;
        }

        return Median(slot);
    }

    /// <summary>The median of <paramref name="peer"/>'s window (ms), if it has one.</summary>
    public bool TryGetMedian(PeerId peer, out double rttMs)
    {
        if (_slots.TryGetValue(KeyOf(peer), out var slot) && _count[slot] > 0)
        {
            rttMs = Median(slot);
            return true;
        }

        rttMs = double.NaN;
        return false;
    }

    private double Median(int slot)
    {
        var n = _count[slot];
        Span<float> sorted = stackalloc float[n];
        _samples.AsSpan(slot * _size, n).CopyTo(sorted);
        sorted.Sort();
        return (n & 1) == 1 ? sorted[n / 2] : ((double)sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Keeps <paramref name="coordinate"/> as the last one <paramref name="peer"/> reported; the peer must have a window.</summary>
    internal void SetCoordinate(PeerId peer, VivaldiCoordinate coordinate)
    {
        if (_slots.TryGetValue(KeyOf(peer), out var slot))
        {
            var at = slot * CoordinateFields;
            _coordinates[at] = (float)coordinate.X;
            _coordinates[at + 1] = (float)coordinate.Y;
            _coordinates[at + 2] = (float)coordinate.Height;
        }
    }

    /// <summary>The last coordinate <paramref name="peer"/> reported, if it has a window.</summary>
    internal bool TryGetCoordinate(PeerId peer, out VivaldiCoordinate coordinate)
    {
        if (_slots.TryGetValue(KeyOf(peer), out var slot))
        {
            var at = slot * CoordinateFields;
            coordinate = new VivaldiCoordinate(_coordinates[at], _coordinates[at + 1], _coordinates[at + 2]);
            return true;
        }

        coordinate = default;
        return false;
    }

    /// <summary>Forgets <paramref name="peer"/>'s samples.</summary>
    public void Forget(PeerId peer)
    {
        if (_slots.Remove(KeyOf(peer), out var slot))
        {
            _free.Push(slot);
        }
    }

    private static ulong KeyOf(PeerId peer)
    {
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        peer.WriteTo(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    private int SlotOf(PeerId peer)
    {
        if (_slots.TryGetValue(KeyOf(peer), out var slot))
        {
            return slot;
        }

        if (_slots.Count >= _maxPeers)
        {
            // Bounded memory against peers churning through ids: forget an arbitrary window.
            foreach (var (key, victim) in _slots)
            {
                _slots.Remove(key);
                _free.Push(victim);
                break;
            }
        }

        if (!_free.TryPop(out slot))
        {
            slot = _used++;
            if (slot >= _count.Length)
            {
                var slots = Math.Min(_maxPeers, Math.Max(8, _count.Length * 2));
                Array.Resize(ref _samples, slots * _size);
                Array.Resize(ref _coordinates, slots * CoordinateFields);
                Array.Resize(ref _count, slots);
                Array.Resize(ref _next, slots);
            }
        }

        _count[slot] = 0;
        _next[slot] = 0;
        _coordinates.AsSpan(slot * CoordinateFields, CoordinateFields).Clear();
        _slots.Add(KeyOf(peer), slot);
        return slot;
    }
}
