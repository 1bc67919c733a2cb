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
/// A node keeps this state for hundreds of peers, so it lives in flat arrays indexed by a dense slot per
/// peer (samples and coordinates as <see cref="float"/>: RTTs in ms need no more precision) instead of an
/// object per peer, keyed by the first 64 bits of the PeerId (ids are BLAKE3 hashes, so finding another
/// key with a chosen peer's prefix costs about 2^64 hashes; a chance collision would only merge two
/// filters). The slots grow by half, not double, and an open-addressing index of slot numbers finds
/// them: about 52 bytes per peer with the default window of 5, where a dictionary and doubling arrays
/// took about 100 at 180 peers.
/// </remarks>
public sealed class RttFilter
{
    private const int CoordinateFields = 3;
    private const int MinSlots = 8;

    private readonly int _size;
    private readonly int _maxPeers;

    // Slot arrays, dense: slots [0, Count) are in use.
    private ulong[] _keys = [];
    private float[] _samples = [];
    private float[] _coordinates = [];
    private byte[] _count = [];
    private byte[] _next = [];

    // Linear-probing index from a key's hash to its slot + 1 (0 = empty), at most three quarters full.
    private int[] _index = [];

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
    public int Count { get; private set; }

    /// <summary>Peers the slot arrays have room for before they grow.</summary>
    internal int Capacity => _keys.Length;

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
        var slot = Find(KeyOf(peer));
        if (slot >= 0 && _count[slot] > 0)
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
        var slot = Find(KeyOf(peer));
        if (slot >= 0)
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
        var slot = Find(KeyOf(peer));
        if (slot >= 0)
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
        var position = PositionOf(KeyOf(peer));
        if (position >= 0)
        {
            Remove(position);
        }
    }

    /// <summary>
    /// Forgets the window of every peer <paramref name="keep"/> rejects (it is given the first 64 bits of the
    /// peer's id, the key a window is held under); returns how many were forgotten.
    /// </summary>
    internal int ForgetUnless(Func<ulong, bool> keep)
    {
        var forgotten = 0;
        // Removing moves the last slot into the freed one, so walk down from the end.
        for (var slot = Count - 1; slot >= 0; slot--)
        {
            if (slot < Count && !keep(_keys[slot]))
            {
                Remove(PositionOf(_keys[slot]));
                forgotten++;
            }
        }

        // Give the freed slots back once more than a growth step is free: the arrays only grow otherwise,
        // and would stay at their peak.
        if (Math.Max(MinSlots, Count + (Count / 2)) < _keys.Length)
        {
            Resize(Math.Max(MinSlots, Count + (Count / 4)));
        }

        return forgotten;
    }

    /// <summary>The key a peer's window is held under: the first 64 bits of its id.</summary>
    internal static ulong KeyOf(PeerId peer)
    {
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        peer.WriteTo(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    // Keys are hash prefixes already; the multiply spreads them over the index's low bits all the same.
    private int Home(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 32) & (_index.Length - 1);

    /// <summary>The index position holding <paramref name="key"/>, or -1.</summary>
    private int PositionOf(ulong key)
    {
        if (Count == 0)
        {
            return -1;
        }

        var mask = _index.Length - 1;
        for (var p = Home(key); _index[p] != 0; p = (p + 1) & mask)
        {
            if (_keys[_index[p] - 1] == key)
            {
                return p;
            }
        }

        return -1;
    }

    private int Find(ulong key)
    {
        var p = PositionOf(key);
        return p < 0 ? -1 : _index[p] - 1;
    }

    private int SlotOf(PeerId peer)
    {
        var key = KeyOf(peer);
        var found = Find(key);
        if (found >= 0)
        {
            return found;
        }

        if (Count >= _maxPeers)
        {
            // Bounded memory against peers churning through ids: forget an arbitrary window.
            Remove(PositionOf(_keys[0]));
        }

        if (Count == _keys.Length)
        {
            Grow();
        }

        var slot = Count++;
        _keys[slot] = key;
        _count[slot] = 0;
        _next[slot] = 0;
        _coordinates.AsSpan(slot * CoordinateFields, CoordinateFields).Clear();
        Insert(key, slot);
        return slot;
    }

    private void Grow() => Resize(Math.Min(_maxPeers, Math.Max(MinSlots, _keys.Length + (_keys.Length / 2))));

    // Slot arrays of exactly slots windows (at least Count), and an index sized for them.
    private void Resize(int slots)
    {
        Array.Resize(ref _keys, slots);
        Array.Resize(ref _samples, slots * _size);
        Array.Resize(ref _coordinates, slots * CoordinateFields);
        Array.Resize(ref _count, slots);
        Array.Resize(ref _next, slots);

        var positions = MinSlots * 2;
        while (positions * 3 < slots * 4)
        {
            positions *= 2;
        }

        if (positions != _index.Length)
        {
            _index = new int[positions];
            for (var s = 0; s < Count; s++)
            {
                Insert(_keys[s], s);
            }
        }
    }

    private void Insert(ulong key, int slot)
    {
        var mask = _index.Length - 1;
        var p = Home(key);
        while (_index[p] != 0)
        {
            p = (p + 1) & mask;
        }

        _index[p] = slot + 1;
    }

    /// <summary>Removes the window at index <paramref name="position"/>; the last slot moves into its place.</summary>
    private void Remove(int position)
    {
        var slot = _index[position] - 1;
        DeleteAt(position);
        var last = --Count;
        if (slot != last)
        {
            _index[PositionOf(_keys[last])] = slot + 1;
            _keys[slot] = _keys[last];
            _count[slot] = _count[last];
            _next[slot] = _next[last];
            Array.Copy(_samples, last * _size, _samples, slot * _size, _size);
            Array.Copy(_coordinates, last * CoordinateFields, _coordinates, slot * CoordinateFields, CoordinateFields);
        }
    }

    // Backward-shift deletion: later entries of the probe run move up so no lookup stops early at the hole.
    private void DeleteAt(int position)
    {
        var mask = _index.Length - 1;
        var hole = position;
        var p = (hole + 1) & mask;
        while (_index[p] != 0)
        {
            var home = Home(_keys[_index[p] - 1]);
            // The entry may fill the hole when its home does not lie cyclically in (hole, p].
            if (((p - home) & mask) >= ((p - hole) & mask))
            {
                _index[hole] = _index[p];
                hole = p;
            }

            p = (p + 1) & mask;
        }

        _index[hole] = 0;
    }
}
