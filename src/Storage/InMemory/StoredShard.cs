using Overlay.Crypto;

namespace Overlay.Storage.InMemory;

/// <summary>
/// One shard of an <see cref="InMemoryShardStore"/>: its bytes and metadata, times in Unix
/// milliseconds. 48 bytes beside the payload array, kept inline in the store's dictionary (no object
/// per shard but the payload and, for a held shard, its holds).
/// </summary>
internal struct StoredShard
{
    /// <summary>An expiry of never, so the later of two expiries is simply the larger.</summary>
    public const long Never = long.MaxValue;

    /// <summary>The bytes, never changed once stored (damage replaces the array), so a reader may hash them outside the lock.</summary>
    public byte[] Data;

    public long StoredAt;

    public long ExpiresAt;

    public long LastVerified;

    /// <summary>The owners this shard is kept for, each with its hold's expiry; null when none.</summary>
    public ShardHold[]? Holds;

    public bool Pinned;

    public readonly ShardInfo ToInfo(in ShardId id) =>
        new(id, Data.Length, DateTimeOffset.FromUnixTimeMilliseconds(StoredAt), ToTime(ExpiresAt), Pinned, DateTimeOffset.FromUnixTimeMilliseconds(LastVerified));

    /// <summary>Index of <paramref name="owner"/>'s hold, or −1.</summary>
    public readonly int FindHold(in PeerId owner)
    {
        if (Holds is { } holds)
        {
            for (var i = 0; i < holds.Length; i++)
            {
                if (holds[i].Owner == owner)
                {
                    return i;
                }
            }
        }

        return -1;
    }

    public void AddHold(in PeerId owner, long expiresAt)
    {
        var holds = Holds ?? [];
        Array.Resize(ref holds, holds.Length + 1);
        holds[^1] = new ShardHold(owner, expiresAt);
        Holds = holds;
    }

    public static long ToMilliseconds(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds() ?? Never;

    public static DateTimeOffset? ToTime(long milliseconds) => milliseconds == Never ? null : DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
}

/// <summary>An owner's hold on a shard of an <see cref="InMemoryShardStore"/>, expiring at Unix milliseconds (<see cref="StoredShard.Never"/> = never).</summary>
internal readonly record struct ShardHold(PeerId Owner, long ExpiresAt);
