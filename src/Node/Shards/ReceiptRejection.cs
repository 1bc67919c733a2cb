namespace Overlay.Node.Shards;

/// <summary>Why an owner does not accept a storage receipt.</summary>
public enum ReceiptRejection
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>The bytes are not a well-formed receipt.</summary>
    Malformed,

    /// <summary>It names another shard than the one stored.</summary>
    WrongShard,

    /// <summary>It names another size than the bytes sent.</summary>
    WrongSize,

    /// <summary>It is made out to another owner.</summary>
    WrongOwner,

    /// <summary>It is signed by another holder than the one asked.</summary>
    WrongHolder,

    /// <summary>The signature does not verify under the holder key it carries.</summary>
    BadSignature,

    /// <summary>A renewal's receipt is no later than the one it replaces (sequence not higher, or expiry earlier): a replay of an old receipt.</summary>
    Stale,
}
