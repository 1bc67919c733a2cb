namespace Overlay.Dht.Records;

/// <summary>Why bytes were not accepted as a record.</summary>
public enum RecordDecodeError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>Fewer bytes than the fixed header or a declared field needs.</summary>
    Truncated,

    /// <summary>The version byte is not one this node reads.</summary>
    UnsupportedVersion,

    /// <summary>The kind byte names no record kind.</summary>
    UnknownKind,

    /// <summary>The declared public key is empty or longer than allowed.</summary>
    PublicKeyLength,

    /// <summary>The declared value is longer than allowed.</summary>
    ValueTooLarge,

    /// <summary>The declared signature is empty or longer than allowed.</summary>
    SignatureLength,

    /// <summary>The expiry is negative or beyond year 9999.</summary>
    ExpiryOutOfRange,

    /// <summary>Bytes follow the record.</summary>
    TrailingBytes,

    /// <summary>A provider batch names no ids, or more than <see cref="DhtOptions.MaxProviderBatchIds"/>.</summary>
    BatchSize,

    /// <summary>A batched provider record's index, count or path length do not fit together.</summary>
    BadPath,
}
