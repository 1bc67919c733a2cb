namespace Overlay.Storage;

/// <summary>The outcome of a read. Only <see cref="Found"/> hands bytes to the caller.</summary>
public enum ShardReadStatus
{
    /// <summary>The shard was read and its bytes hash to its id.</summary>
    Found,

    /// <summary>No shard with this id is stored (or it was quarantined earlier).</summary>
    NotFound,

    /// <summary>The stored bytes do not hash to the id, or the store could not read them; the shard was quarantined and nothing was served.</summary>
    Corrupted,

    /// <summary>The destination is smaller than the shard; nothing was written. The result's length says how much is needed.</summary>
    DestinationTooSmall,

    /// <summary>A ranged read started past the shard's end; nothing was written. The result's length is the shard's.</summary>
    OffsetBeyondEnd,
}
