namespace Overlay.Storage.Sqlite;

/// <summary>
/// The first 12 bytes of a shard id: all the in-memory log index keeps of an id, so a slot is 24
/// bytes instead of 48. An id is a BLAKE3 hash, so prefixes of different shards differ except by
/// design: two contents whose ids share a prefix take about 2^48 hashes to find, and a prefix of a
/// shard someone else stores about 2^96. A prefix therefore only ever leads to a candidate, which
/// every user confirms against the full id (in SQL, or by hashing the payload read).
/// </summary>
internal readonly struct IdPrefix : IEquatable<IdPrefix>, IComparable<IdPrefix>
{
    public const int Size = 12;

    /// <summary>Bytes 0–7 of the id, big-endian.</summary>
    public readonly ulong High;

    /// <summary>Bytes 8–11 of the id, big-endian.</summary>
    public readonly uint Low;

    public IdPrefix(ulong high, uint low)
    {
        High = high;
        Low = low;
    }

    public static IdPrefix Of(in ShardId id) => new(id.Word0, (uint)(id.Word1 >> 32));

    /// <summary>The lowest id that starts with this prefix (the rest zeros): a bound of an id range in SQL.</summary>
    public ShardId LowestId => ShardId.FromWords(High, (ulong)Low << 32, 0, 0);

    public bool Equals(IdPrefix other) => High == other.High && Low == other.Low;

    public override bool Equals(object? obj) => obj is IdPrefix other && Equals(other);

    public override int GetHashCode() => (int)Low ^ (int)(High >> 32);

    // The same order as the ids': big-endian words compared high to low.
    public int CompareTo(IdPrefix other)
    {
        var c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }

    public static bool operator ==(IdPrefix left, IdPrefix right) => left.Equals(right);

    public static bool operator !=(IdPrefix left, IdPrefix right) => !left.Equals(right);

    public static bool operator <(IdPrefix left, IdPrefix right) => left.CompareTo(right) < 0;

    public static bool operator >(IdPrefix left, IdPrefix right) => left.CompareTo(right) > 0;

    public static bool operator <=(IdPrefix left, IdPrefix right) => left.CompareTo(right) <= 0;

    public static bool operator >=(IdPrefix left, IdPrefix right) => left.CompareTo(right) >= 0;
}
