using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// A signed mutable value stored under a key: the publisher's public key, a sequence number that only
/// grows, an absolute expiry and a signature over <see cref="RecordEncoding"/>'s signing payload.
/// Immutable once built; byte fields are owned copies.
/// </summary>
public sealed class DhtRecord
{
    /// <summary>Builds a record from its parts (copies every span). Does not check the signature.</summary>
    /// <param name="key">Key in the DHT keyspace.</param>
    /// <param name="value">The value bytes.</param>
    /// <param name="publisherPublicKey">The publisher's public key material, as the verifier expects it.</param>
    /// <param name="sequence">Version; a store keeps only the highest.</param>
    /// <param name="expires">Absolute expiry, truncated to whole milliseconds since the Unix epoch (the wire precision).</param>
    /// <param name="signature">Signature over the signing payload.</param>
    public DhtRecord(PeerId key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> publisherPublicKey, ulong sequence, DateTimeOffset expires, ReadOnlySpan<byte> signature)
    {
        Key = key;
        Value = value.ToArray();
        PublisherPublicKey = publisherPublicKey.ToArray();
        Sequence = sequence;
        ExpiresUnixMs = expires.ToUnixTimeMilliseconds();
        Signature = signature.ToArray();
    }

    internal DhtRecord(PeerId key, byte[] value, byte[] publisherPublicKey, ulong sequence, long expiresUnixMs, byte[] signature)
    {
        Key = key;
        Value = value;
        PublisherPublicKey = publisherPublicKey;
        Sequence = sequence;
        ExpiresUnixMs = expiresUnixMs;
        Signature = signature;
    }

    /// <summary>Key in the DHT keyspace.</summary>
    public PeerId Key { get; }

    /// <summary>The value.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The publisher's public key material.</summary>
    public ReadOnlyMemory<byte> PublisherPublicKey { get; }

    /// <summary>Version of the value; higher replaces lower.</summary>
    public ulong Sequence { get; }

    /// <summary>Expiry in milliseconds since the Unix epoch.</summary>
    public long ExpiresUnixMs { get; }

    /// <summary>Expiry as a time.</summary>
    public DateTimeOffset Expires => DateTimeOffset.FromUnixTimeMilliseconds(ExpiresUnixMs);

    /// <summary>Signature over the signing payload.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>
    /// Signs a new record: builds the signing payload and hands it to <paramref name="sign"/>, which
    /// returns the signature (the identity layer owns the key).
    /// </summary>
    public static DhtRecord Create(PeerId key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> publisherPublicKey, ulong sequence, DateTimeOffset expires, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        var expiresMs = expires.ToUnixTimeMilliseconds();
        var payload = new byte[RecordEncoding.SigningPayloadLength(value.Length, publisherPublicKey.Length)];
        RecordEncoding.WriteSigningPayload(key, value, publisherPublicKey, sequence, expiresMs, payload);
        return new DhtRecord(key, value.ToArray(), publisherPublicKey.ToArray(), sequence, expiresMs, sign(payload));
    }

    /// <summary>True when both records carry the same bytes in every field.</summary>
    public bool ContentEquals(DhtRecord other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Key == other.Key && Sequence == other.Sequence && ExpiresUnixMs == other.ExpiresUnixMs &&
            Value.Span.SequenceEqual(other.Value.Span) &&
            PublisherPublicKey.Span.SequenceEqual(other.PublisherPublicKey.Span) &&
            Signature.Span.SequenceEqual(other.Signature.Span);
    }
}
