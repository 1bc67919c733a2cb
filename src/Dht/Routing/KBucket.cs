using Overlay.Crypto;

namespace Overlay.Dht.Routing;

/// <summary>
/// One k-bucket: contacts whose id shares exactly <c>Index</c> leading bits with the local id.
/// Entries are ordered least-recently-seen first (Kademlia §2.2). A replacement cache holds peers
/// seen while the bucket was full, newest last.
/// </summary>
internal sealed class KBucket
{
    private readonly Contact?[] _entries;
    private readonly int _cacheCapacity;
    private Contact?[] _cache = [];

    public KBucket(int index, int capacity, int cacheCapacity, DateTimeOffset created)
    {
        Index = index;
        _entries = new Contact?[capacity];
        // Only a bucket that has filled up ever caches anyone; most deep buckets never do.
        _cacheCapacity = cacheCapacity;
        LastRefreshed = created;
    }

    public int Index { get; }

    public int Count { get; private set; }

    public int CacheCount { get; private set; }

    public int Capacity => _entries.Length;

    public bool IsFull => Count == _entries.Length;

    public DateTimeOffset LastRefreshed { get; set; }

    /// <summary>The contact being pinged because a newcomer wants its place; null when none.</summary>
    public Contact? PendingPing { get; set; }

    public DateTimeOffset PendingPingSince { get; set; }

    public Contact Entry(int i) => _entries[i]!;

    public Contact CacheEntry(int i) => _cache[i]!;

    public ReadOnlySpan<Contact?> Entries => _entries.AsSpan(0, Count);

    public ReadOnlySpan<Contact?> CacheEntries => _cache.AsSpan(0, CacheCount);

    public int IndexOf(PeerId id)
    {
        for (var i = 0; i < Count; i++)
        {
            if (_entries[i]!.Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    public int CacheIndexOf(PeerId id)
    {
        for (var i = 0; i < CacheCount; i++)
        {
            if (_cache[i]!.Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    public int CountGroup(NetworkGroup group)
    {
        var n = 0;
        for (var i = 0; i < Count; i++)
        {
            if (_entries[i]!.Group == group)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Moves entry <paramref name="i"/> to the most-recently-seen end.</summary>
    public void MoveToTail(int i)
    {
        var c = _entries[i];
        Array.Copy(_entries, i + 1, _entries, i, Count - i - 1);
        _entries[Count - 1] = c;
    }

    public void Append(Contact c) => _entries[Count++] = c;

    public Contact RemoveAt(int i)
    {
        var c = _entries[i]!;
        Array.Copy(_entries, i + 1, _entries, i, Count - i - 1);
        _entries[--Count] = null;
        return c;
    }

    /// <summary>Adds or refreshes a cache entry (newest last); drops the stalest entry when full.</summary>
    public void AddToCache(Contact c)
    {
        if (_cacheCapacity == 0)
        {
            return;
        }

        if (_cache.Length == 0)
        {
            _cache = new Contact?[_cacheCapacity];
        }

        var existing = CacheIndexOf(c.Id);
        if (existing >= 0)
        {
            RemoveFromCacheAt(existing);
        }
        else if (CacheCount == _cache.Length)
        {
            // The oldest sighting is the likeliest to have gone away.
            RemoveFromCacheAt(0);
        }

        _cache[CacheCount++] = c;
    }

    public Contact RemoveFromCacheAt(int i)
    {
        var c = _cache[i]!;
        Array.Copy(_cache, i + 1, _cache, i, CacheCount - i - 1);
        _cache[--CacheCount] = null;
        return c;
    }
}
