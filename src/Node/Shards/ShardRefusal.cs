namespace Overlay.Node.Shards;

/// <summary>
/// Why a holder refused a <c>shard/1</c> operation (docs/PROTOCOL.md, "Shard protocol"). The code is
/// the status byte of the holder's reply; 0 means the operation goes ahead.
/// </summary>
public enum ShardRefusal : byte
{
    /// <summary>Not refused.</summary>
    None = 0,

    /// <summary>The sender's quota (bytes or shards held for its identity) or the node's storage quota is used up.</summary>
    Quota = 1,

    /// <summary>The shard is larger than the holder accepts, or the bytes sent were fewer or more than announced.</summary>
    Size = 2,

    /// <summary>The sender stores faster than the holder allows one identity.</summary>
    Rate = 3,

    /// <summary>The holder keeps no shards for others now, or will not under the terms asked (an expiry already past).</summary>
    Unwilling = 4,

    /// <summary>The bytes sent do not hash to the shard id announced; nothing was stored.</summary>
    Mismatch = 5,

    /// <summary>The holder does not hold the shard (fetch, audit).</summary>
    NotFound = 6,

    /// <summary>The request was not a well-formed <c>shard/1</c> request.</summary>
    Malformed = 7,

    /// <summary>A fetch asked for an offset past the shard's end.</summary>
    Range = 8,

    /// <summary>The holder failed locally (its store closed, its disk full or failing).</summary>
    Failed = 9,
}
