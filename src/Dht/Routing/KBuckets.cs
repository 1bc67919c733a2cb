namespace Overlay.Dht.Routing;

/// <summary>
/// A routing table's buckets by index (the common-prefix length with the local id), held only as deep as the
/// deepest bucket a peer has been placed in. A node of a 10,000-node network places peers in about 15 of the
/// 256 possible buckets, so a full-width array would be 2 KB of empty slots in every node.
/// <para>
/// A lookup marks the bucket of its target as refreshed whether or not anyone is in it (a node's lookup of its
/// own id marks bucket 255). A bucket no peer was placed in keeps only that mark, beside the array, and takes
/// it when a peer first lands there; so a bucket's last refresh reads the same as if every marked bucket existed.
/// </para>
/// </summary>
internal sealed class KBuckets
{
    private readonly int _capacity;
    private readonly int _cacheCapacity;
    private readonly DateTimeOffset _created;
    private KBucket?[] _buckets = [];

    // Refresh marks of buckets not created yet, unordered: a handful (the node's own and the deepest refreshed).
    private (int Index, DateTimeOffset At)[] _marks = [];
    private int _markCount;

    /// <summary>Creates an empty set of buckets of <paramref name="capacity"/> contacts and <paramref name="cacheCapacity"/> replacement entries each.</summary>
    /// <param name="capacity">Contacts per bucket (k).</param>
    /// <param name="cacheCapacity">Replacement-cache entries per bucket.</param>
    /// <param name="created">When the table was created: a bucket never looked up counts as refreshed then.</param>
    public KBuckets(int capacity, int cacheCapacity, DateTimeOffset created)
    {
        _capacity = capacity;
        _cacheCapacity = cacheCapacity;
        _created = created;
    }

    /// <summary>One past the deepest bucket created; every bucket from here on is empty.</summary>
    public int Length => _buckets.Length;

    /// <summary>The buckets created so far by index (null where none was), <see cref="Length"/> of them.</summary>
    public ReadOnlySpan<KBucket?> All => _buckets;

    /// <summary>The bucket at <paramref name="index"/>, or null when no peer was ever placed in it.</summary>
    public KBucket? this[int index] => (uint)index < (uint)_buckets.Length ? _buckets[index] : null;

    /// <summary>The bucket at <paramref name="index"/> (0–255), created empty on first use with its refresh mark, if any.</summary>
    public KBucket GetOrCreate(int index)
    {
        if (this[index] is { } existing)
        {
            return existing;
        }

        if (index >= _buckets.Length)
        {
            Array.Resize(ref _buckets, index + 1);
        }

        var b = new KBucket(index, _capacity, _cacheCapacity, TakeMark(index) ?? _created);
        _buckets[index] = b;
        return b;
    }

    /// <summary>When bucket <paramref name="index"/> was last looked up: its mark, or the table's creation.</summary>
    public DateTimeOffset LastRefreshed(int index)
    {
        if (this[index] is { } b)
        {
            return b.LastRefreshed;
        }

        var at = MarkIndexOf(index);
        return at >= 0 ? _marks[at].At : _created;
    }

    /// <summary>Marks bucket <paramref name="index"/> as looked up at <paramref name="now"/>, without creating it.</summary>
    public void MarkRefreshed(int index, DateTimeOffset now)
    {
        if (this[index] is { } b)
        {
            b.LastRefreshed = now;
            return;
        }

        var at = MarkIndexOf(index);
        if (at >= 0)
        {
            _marks[at].At = now;
            return;
        }

        if (_markCount == _marks.Length)
        {
            Array.Resize(ref _marks, Math.Max(2, _marks.Length * 2));
        }

        _marks[_markCount++] = (index, now);
    }

    private DateTimeOffset? TakeMark(int index)
    {
        var at = MarkIndexOf(index);
        if (at < 0)
        {
            return null;
        }

        var mark = _marks[at].At;
        _marks[at] = _marks[--_markCount];
        return mark;
    }

    private int MarkIndexOf(int index)
    {
        for (var i = 0; i < _markCount; i++)
        {
            if (_marks[i].Index == index)
            {
                return i;
            }
        }

        return -1;
    }
}
