namespace Overlay.Crypto;

/// <summary>
/// Checks signatures under encoded identity keys (<see cref="IdentityPublicKey"/>), keeping the keys that verified one
/// ready for the next: decoded, their Ed25519 point already checked (the check costs about as much as a verification).
/// A DHT node meets the same publishers' keys in STORE after STORE, each carrying the key beside its signature.
/// A hybrid key's ML-DSA-65 half is not kept expanded: that would save a quarter of the ML-DSA check for about 37 KB a
/// key (the matrix Â and NTT(t1·2^d)), against about 2 KB for the decoded key, and a node near many providers fills
/// the cache. Bounded: when full, the key used least recently is dropped. Only a key under which a
/// signature verified is kept, so keys nobody signs with cannot push the others out. Thread-safe. The verdict is
/// always the one <see cref="IdentityPublicKey.TryDecode"/> and <see cref="IdentityPublicKey.Verify(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> give.
/// </summary>
public sealed class VerifyingKeyCache
{
    /// <summary>Keys kept by default: about 130 KB when full of hybrid keys.</summary>
    public const int DefaultCapacity = 64;

    private readonly object _gate = new();
    private readonly Dictionary<PeerId, Entry> _entries = [];
    private long _clock;
    private long _hits;
    private long _misses;

    /// <summary>A cache of at most <paramref name="capacity"/> keys (0: none kept, every check decodes its key).</summary>
    public VerifyingKeyCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>Most keys kept.</summary>
    public int Capacity { get; }

    /// <summary>Keys kept now.</summary>
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

    /// <summary>Checks whose key was kept.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Checks whose key had to be decoded.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>
    /// True when <paramref name="encodedKey"/> is a valid identity key and <paramref name="signature"/> its signature of
    /// <paramref name="message"/>. Never throws on untrusted input.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> encodedKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (encodedKey.IsEmpty || !IdentityPublicKey.TryGetEncodedSize(encodedKey[0], out var size) || encodedKey.Length != size)
        {
            return false;
        }

        var id = PeerId.FromPublicKeyMaterial(encodedKey);
        if (TryGet(id, encodedKey) is { } kept)
        {
            return kept.Key.Verify(message, signature);
        }

        Interlocked.Increment(ref _misses);
        if (!IdentityPublicKey.TryDecode(encodedKey, out var key))
        {
            return false;
        }

        if (!key.Verify(message, signature))
        {
            return false;
        }

        if (Capacity > 0)
        {
            Keep(id, new Entry(key));
        }

        return true;
    }

    private Entry? TryGet(PeerId id, ReadOnlySpan<byte> encodedKey)
    {
        lock (_gate)
        {
            // The id is a hash of the key; the bytes are compared too, so only this exact key is ever answered from here.
            if (!_entries.TryGetValue(id, out var entry) || !entry.Key.Encoded.SequenceEqual(encodedKey))
            {
                return null;
            }

            entry.LastUsed = ++_clock;
            Interlocked.Increment(ref _hits);
            return entry;
        }
    }

    private void Keep(PeerId id, Entry entry)
    {
        lock (_gate)
        {
            if (!_entries.ContainsKey(id) && _entries.Count >= Capacity)
            {
                // A scan of at most Capacity entries, only when a new key comes in: cheap beside the decode it follows.
                var oldest = default(PeerId);
                var oldestUse = long.MaxValue;
                foreach (var (peer, kept) in _entries)
                {
                    if (kept.LastUsed < oldestUse)
                    {
                        oldest = peer;
                        oldestUse = kept.LastUsed;
                    }
                }

                _entries.Remove(oldest);
            }

            entry.LastUsed = ++_clock;
            _entries[id] = entry;
        }
    }

    private sealed class Entry(IdentityPublicKey key)
    {
        public IdentityPublicKey Key { get; } = key;

        public long LastUsed { get; set; }
    }
}
