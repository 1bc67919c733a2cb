namespace Overlay.Dht.Records;

/// <summary>Why a record was refused; <see cref="None"/> when it was accepted.</summary>
public enum RecordRejection
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>The value exceeds <see cref="DhtOptions.MaxValueBytes"/>.</summary>
    ValueTooLarge,

    /// <summary>The publisher key is empty or exceeds <see cref="DhtOptions.MaxPublicKeyBytes"/>.</summary>
    PublicKeyLength,

    /// <summary>The signature is empty or exceeds <see cref="DhtOptions.MaxSignatureBytes"/>.</summary>
    SignatureLength,

    /// <summary>The record's expiry is not after now.</summary>
    Expired,

    /// <summary>The expiry lies further ahead than <see cref="DhtOptions.RecordTtl"/>: a record may not pin itself in stores forever.</summary>
    ExpiryTooFar,

    /// <summary>A record under this key from a different publisher is already stored.</summary>
    PublisherMismatch,

    /// <summary>The stored record has a higher sequence number.</summary>
    OlderSequence,

    /// <summary>The stored record has the same sequence number but different content (a publisher equivocating).</summary>
    ConflictingSequence,

    /// <summary>The signature does not verify.</summary>
    BadSignature,

    /// <summary>A provider record arrived from someone other than the provider it names.</summary>
    ProviderNotSender,

    /// <summary>The store holds its maximum number of records.</summary>
    StoreFull,

    /// <summary>
    /// The remote peer gave no verdict: it did not answer in time, could not be reached, or answered with
    /// an error or a broken response (reported by <see cref="DhtClient"/>, never by a store). A put tries again.
    /// </summary>
    NoAnswer,

    /// <summary>
    /// The remote peer refused the request under its per-peer rate limit (<see cref="DhtOptions.MaxRequestsPerPeerPerSecond"/>);
    /// reported by the client, never by a store or on the wire as a verdict. A put backs off and tries again.
    /// </summary>
    RateLimited,

    /// <summary>A provider record's public key is not the key of the provider it names (someone signing for another peer).</summary>
    ProviderKeyMismatch,

    /// <summary>A provider record expires before the one already stored from the same provider for the key: an older announcement replayed.</summary>
    OlderAnnouncement,

    /// <summary>A provider batch names no ids or more than <see cref="DhtOptions.MaxProviderBatchIds"/>.</summary>
    BatchTooLarge,

    /// <summary>A provider batch's ids are not sorted ascending, or one appears twice.</summary>
    UnsortedIds,

    /// <summary>A provider batch's root is not the Merkle root of its ids.</summary>
    WrongRoot,

    /// <summary>A batched provider record's Merkle path does not lead from its key to the root the provider signed.</summary>
    PathMismatch,

    /// <summary>Keeping the records would take one provider past <see cref="DhtOptions.MaxProviderIdsPerProvider"/> ids on this node.</summary>
    ProviderQuota,
}
