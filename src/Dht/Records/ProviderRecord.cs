using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// "Peer <see cref="Provider"/> holds the content named by <see cref="Key"/> until <see cref="Expires"/>",
/// signed by the provider (docs/PROTOCOL.md, "Provider record (kind 2)"): the record carries the
/// provider's public key, which must be the key behind <see cref="Provider"/>, and a signature over
/// <see cref="RecordEncoding"/>'s provider signing payload. So a node that stores, relays or returns it
/// can show who announced it, and a FIND_VALUE answer cannot invent providers. Immutable once built.
/// </summary>
public sealed record ProviderRecord
{
    /// <summary>
    /// An unsigned record (no key, no signature). Only this node's own bookkeeping and tests build one:
    /// it does not encode for the wire, and no validator accepts it from the network.
    /// </summary>
    /// <param name="key">Content key in the DHT keyspace.</param>
    /// <param name="provider">The peer that holds the content.</param>
    /// <param name="expiresUnixMs">Expiry in milliseconds since the Unix epoch.</param>
    public ProviderRecord(PeerId key, PeerId provider, long expiresUnixMs)
        : this(key, provider, expiresUnixMs, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty)
    {
    }

    /// <summary>A record with its provider's public key and signature (not checked here).</summary>
    /// <param name="key">Content key in the DHT keyspace.</param>
    /// <param name="provider">The peer that holds the content.</param>
    /// <param name="expiresUnixMs">Expiry in milliseconds since the Unix epoch.</param>
    /// <param name="providerPublicKey">The provider's encoded public key (owned by the record from now on).</param>
    /// <param name="signature">The provider's signature over the signing payload (owned by the record from now on).</param>
    public ProviderRecord(PeerId key, PeerId provider, long expiresUnixMs, ReadOnlyMemory<byte> providerPublicKey, ReadOnlyMemory<byte> signature)
    {
        Key = key;
        Provider = provider;
        ExpiresUnixMs = expiresUnixMs;
        ProviderPublicKey = providerPublicKey;
        Signature = signature;
    }

    /// <summary>Content key in the DHT keyspace.</summary>
    public PeerId Key { get; }

    /// <summary>The peer that holds the content.</summary>
    public PeerId Provider { get; }

    /// <summary>Expiry in milliseconds since the Unix epoch.</summary>
    public long ExpiresUnixMs { get; }

    /// <summary>The provider's encoded public key; empty for an unsigned record.</summary>
    public ReadOnlyMemory<byte> ProviderPublicKey { get; }

    /// <summary>The provider's signature over the signing payload; empty for an unsigned record.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>
    /// Set when the record is one id of a signed <see cref="ProviderBatch"/>: the signature is then over the batch's
    /// signing payload (its root), not over this record's, and this proof links the key to that root.
    /// </summary>
    public ProviderBatchProof? Batch { get; init; }

    /// <summary>True when the record carries a key and a signature (not that they verify).</summary>
    public bool IsSigned => !ProviderPublicKey.IsEmpty && !Signature.IsEmpty;

    /// <summary>Expiry as a time.</summary>
    public DateTimeOffset Expires => DateTimeOffset.FromUnixTimeMilliseconds(ExpiresUnixMs);

    /// <summary>
    /// Signs a new record: builds the provider signing payload over <paramref name="providerPublicKey"/> and hands
    /// it to <paramref name="sign"/>, which returns the signature (the identity layer owns the key).
    /// </summary>
    public static ProviderRecord Create(PeerId key, PeerId provider, long expiresUnixMs, ReadOnlySpan<byte> providerPublicKey, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        var payload = new byte[RecordEncoding.ProviderSigningPayloadLength(providerPublicKey.Length)];
        RecordEncoding.WriteProviderSigningPayload(key, provider, expiresUnixMs, providerPublicKey, payload);
        return new ProviderRecord(key, provider, expiresUnixMs, providerPublicKey.ToArray(), sign(payload));
    }

    /// <summary>Equal when every field carries the same bytes.</summary>
    public bool Equals(ProviderRecord? other) =>
        other is not null && Key == other.Key && Provider == other.Provider && ExpiresUnixMs == other.ExpiresUnixMs &&
        ProviderPublicKey.Span.SequenceEqual(other.ProviderPublicKey.Span) && Signature.Span.SequenceEqual(other.Signature.Span)
        && Equals(Batch, other.Batch);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Key, Provider, ExpiresUnixMs, Signature.Length);
}
