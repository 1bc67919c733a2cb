using System.Numerics;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// A blocked Bloom filter of the ids in <c>shards</c> (the id index), so the writer's duplicate check
/// skips the index descent for a new shard: at a million shards that descent reads index pages that
/// are rarely cached and cost a new put more than its two appends together. "No" is exact, "maybe"
/// sends the writer to SQL as before. Entries are never removed (a deleted id only leaves a false
/// positive), so the filter is rebuilt, larger, once more ids were added than it was sized for.
/// </summary>
/// <remarks>
/// Each id sets four bits of one 64-bit word (one cache line touched per check). Ids are BLAKE3
/// hashes, so bytes of the id's prefix select the word (bytes 4–7) and the bits (bytes 0–3), leaving
/// bytes 8–11 to the log index's slots: the prefix is all a merge has of the ids it moves; an attacker who grinds content
/// to collide can only cause false positives, which cost one index descent each. At
/// <see cref="BitsPerEntry"/> bits per id about 0.5 % of new ids take the SQL path.
/// Adds may come from two threads at once (the writer's merges and a build scanning the index), so
/// bits are set with an interlocked OR; the writer only checks a filter once its build finished.
/// </remarks>
internal sealed class ShardIdFilter
{
    /// <summary>Filter bits per id it is sized for.</summary>
    public const int BitsPerEntry = 16;

    private readonly ulong[] _words;
    private readonly ulong _mask;
    private long _count;
    private volatile bool _ready;

    /// <param name="capacity">Ids the filter is sized for.</param>
    /// <param name="minimumCapacity">Smallest capacity, so a young store does not rebuild its filter every few merges.</param>
    public ShardIdFilter(long capacity, int minimumCapacity)
    {
        capacity = Math.Max(capacity, minimumCapacity);
        var words = BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, capacity * BitsPerEntry / 64));
        _words = new ulong[words];
        _mask = words - 1;
        Capacity = (long)words * 64 / BitsPerEntry;
    }

    /// <summary>Ids the filter holds at its designed false-positive rate.</summary>
    public long Capacity { get; }

    /// <summary>Ids added so far (a deleted and re-added id counts twice).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Bytes of memory the filter's bits take.</summary>
    public long Bytes => (long)_words.Length * sizeof(ulong);

    /// <summary>Set once every id of the index is in the filter; before that it must not be asked.</summary>
    public bool Ready => _ready;

    public void MarkReady() => _ready = true;

    public void Add(in ShardId id) => Add(IdPrefix.Of(id));

    public void Add(in IdPrefix prefix)
    {
        Interlocked.Or(ref _words[(int)(prefix.High & _mask)], Bits((uint)(prefix.High >> 32)));
        Interlocked.Increment(ref _count);
    }

    /// <summary>False only if no id with the prefix of <paramref name="id"/> was ever added.</summary>
    public bool MayContain(in ShardId id)
    {
        var prefix = IdPrefix.Of(id);
        var bits = Bits((uint)(prefix.High >> 32));
        return (Volatile.Read(ref _words[(int)(prefix.High & _mask)]) & bits) == bits;
    }

    private static ulong Bits(uint h) =>
        (1UL << (int)(h & 63)) | (1UL << (int)((h >> 6) & 63)) | (1UL << (int)((h >> 12) & 63)) | (1UL << (int)((h >> 18) & 63));
}
