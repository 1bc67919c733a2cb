namespace Overlay.Placement.Trust;

/// <summary>Why a local-trust record was refused; <see cref="None"/> when it was accepted. Each refusal is counted by its reason.</summary>
public enum TrustRecordRejection
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>Longer than a record of <see cref="PlacementOptions.MaxRecordEntries"/> entries can be; refused before anything is read.</summary>
    TooLarge,

    /// <summary>Fewer bytes than the header, the declared entries or the declared signature need.</summary>
    Truncated,

    /// <summary>The version byte is not one this node reads.</summary>
    UnsupportedVersion,

    /// <summary>More entries than <see cref="PlacementOptions.MaxRecordEntries"/>.</summary>
    TooManyEntries,

    /// <summary>The issue time is negative or beyond year 9999.</summary>
    BadTimestamp,

    /// <summary>Entries are not in strictly ascending PeerId order (which also rules out duplicates), so the record has another encoding.</summary>
    Unsorted,

    /// <summary>An entry's value is NaN, infinite, zero, negative or above 1.</summary>
    BadValue,

    /// <summary>The values do not sum to 1 (within 0.001).</summary>
    NotNormalised,

    /// <summary>An entry names the issuer itself: trust in oneself would pump one's own global trust.</summary>
    NamesIssuer,

    /// <summary>The signature is empty, of an unknown scheme, or of a length its scheme does not have.</summary>
    SignatureLength,

    /// <summary>Bytes follow the signature.</summary>
    TrailingBytes,

    /// <summary>The issuer's identity key is not known to this node, so the record cannot be checked.</summary>
    UnknownIssuer,

    /// <summary>The record claims to be this node's own; a node's own row comes from its own observations.</summary>
    OwnRecord,

    /// <summary>Issued longer ago than <see cref="PlacementOptions.MaxRecordAge"/>.</summary>
    Expired,

    /// <summary>Issued further in the future than <see cref="PlacementOptions.MaxClockSkew"/>.</summary>
    FromTheFuture,

    /// <summary>Not newer than the record already held from this issuer: an old version replayed, or the same one again.</summary>
    Replayed,

    /// <summary>The signature does not verify under the issuer's identity key.</summary>
    BadSignature,

    /// <summary>The identity key carried with the record does not decode, or is not the issuer's: it does not hash to the issuer's PeerId.</summary>
    KeyMismatch,

    /// <summary>The collection holds as many records as it may, and none of their issuers has less global trust than this one.</summary>
    BookFull,
}
