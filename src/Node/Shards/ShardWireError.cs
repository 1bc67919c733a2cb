namespace Overlay.Node.Shards;

/// <summary>Why bytes from a peer are not a well-formed <c>shard/1</c> header or receipt.</summary>
public enum ShardWireError
{
    /// <summary>Well formed.</summary>
    None = 0,

    /// <summary>The stream ended before its first byte.</summary>
    Empty,

    /// <summary>The first byte names no operation.</summary>
    UnknownOperation,

    /// <summary>Fewer bytes than the layout needs (or, for a whole buffer, a different count).</summary>
    Truncated,

    /// <summary>An expiry outside 0..9999-12-31 in milliseconds.</summary>
    ExpiryOutOfRange,

    /// <summary>A size beyond what any node stores.</summary>
    SizeOutOfRange,

    /// <summary>A receipt of an unknown version.</summary>
    UnsupportedVersion,

    /// <summary>A receipt whose holder key does not decode.</summary>
    BadKey,

    /// <summary>A receipt whose signature length is outside what the holder's scheme makes.</summary>
    BadSignatureLength,

    /// <summary>Bytes left after a complete receipt.</summary>
    TrailingBytes,

    /// <summary>A pull whose source address is empty or not UTF-8.</summary>
    BadAddress,

    /// <summary>A probe naming no shard, or more than <see cref="ShardProbeCodec.MaxIds"/>.</summary>
    ProbeCountOutOfRange,

    /// <summary>A probe whose ids are not in strictly ascending order (so none is named twice).</summary>
    ProbeIdsUnsorted,

    /// <summary>A probe answer with another count of entries than the ids asked.</summary>
    ProbeAnswerCountMismatch,

    /// <summary>A probe answer giving a size beyond what any node stores (other than the not-held mark).</summary>
    ProbeAnswerSizeOutOfRange,
}
