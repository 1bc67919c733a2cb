namespace Overlay.Placement.Capacity;

/// <summary>Why a capacity record was refused (counted in <c>overlay.placement.capacity_records_rejected{reason}</c>).</summary>
public enum CapacityRecordRejection
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>Longer than any capacity record can be; refused before anything is read.</summary>
    TooLarge,

    /// <summary>Shorter than a declared length says.</summary>
    Truncated,

    /// <summary>Bytes after the signature.</summary>
    TrailingBytes,

    /// <summary>A version byte this node does not read.</summary>
    UnsupportedVersion,

    /// <summary>An issue time before 1970 or beyond year 9999.</summary>
    BadTimestamp,

    /// <summary>Free or total bytes negative, free above total, or total above <see cref="CapacityRecordCodec.MaxTotalBytes"/>.</summary>
    BadValue,

    /// <summary>An empty signature, an unknown scheme, or a length its scheme does not have.</summary>
    SignatureLength,

    /// <summary>The record names an issuer other than the peer that answered: a node speaks only for its own capacity.</summary>
    WrongIssuer,

    /// <summary>No identity key of the issuer is known, and none came with the record.</summary>
    UnknownIssuer,

    /// <summary>The key carried with the record does not decode or does not hash to the issuer's PeerId.</summary>
    KeyMismatch,

    /// <summary>Issued longer ago than twice <see cref="PlacementOptions.CapacityRecordInterval"/>: stale.</summary>
    Expired,

    /// <summary>Issued further ahead than <see cref="PlacementOptions.MaxClockSkew"/>.</summary>
    FromTheFuture,

    /// <summary>Not newer than the record already held from the issuer.</summary>
    Replayed,

    /// <summary>The signature does not verify under the issuer's key.</summary>
    BadSignature,
}
