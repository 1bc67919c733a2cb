using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// A node's local-trust row as it publishes it: the issuer, when it was issued (which is also its version:
/// a newer record replaces an older one), the normalised entries, and the issuer's identity signature over
/// the rest (docs/PLACEMENT.md, "Local-trust records"). Nobody can speak for another node: only the issuer's
/// key makes a signature that verifies under its PeerId.
/// </summary>
public sealed class TrustRecord
{
    private readonly byte[] _signature;

    internal TrustRecord(PeerId issuer, long issuedUnixMs, LocalTrustVector vector, byte[] signature)
    {
        Issuer = issuer;
        IssuedUnixMs = issuedUnixMs;
        Vector = vector;
        _signature = signature;
    }

    /// <summary>The node whose row this is.</summary>
    public PeerId Issuer { get; }

    /// <summary>Issue time in Unix milliseconds; a record with a later time supersedes this one.</summary>
    public long IssuedUnixMs { get; }

    /// <summary>Issue time.</summary>
    public DateTimeOffset IssuedAt => DateTimeOffset.FromUnixTimeMilliseconds(IssuedUnixMs);

    /// <summary>The row c_i·.</summary>
    public LocalTrustVector Vector { get; }

    /// <summary>The issuer's encoded identity signature over <see cref="TrustRecordCodec.WriteSigningPayload"/>.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>
    /// Signs <paramref name="vector"/> as <paramref name="issuer"/>'s row issued at <paramref name="issuedAt"/>
    /// (kept to the millisecond). The vector must not name the issuer.
    /// </summary>
    public static TrustRecord Sign(NodeIdentity issuer, DateTimeOffset issuedAt, LocalTrustVector vector)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(vector);
        if (vector.ValueOf(issuer.PeerId) > 0)
        {
            throw new ArgumentException("A local-trust row never names its own issuer.", nameof(vector));
        }

        var issuedUnixMs = issuedAt.ToUnixTimeMilliseconds();
        var payload = new byte[TrustRecordCodec.SigningPayloadLength(vector.Count)];
        TrustRecordCodec.WriteSigningPayload(issuer.PeerId, issuedUnixMs, vector, payload);
        return new TrustRecord(issuer.PeerId, issuedUnixMs, vector, issuer.Sign(payload));
    }

    /// <summary>True when <paramref name="issuerKey"/> is the issuer's (its PeerId matches) and the signature verifies under it.</summary>
    public bool VerifySignature(IdentityPublicKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        if (issuerKey.PeerId != Issuer)
        {
            return false;
        }

        var payload = new byte[TrustRecordCodec.SigningPayloadLength(Vector.Count)];
        TrustRecordCodec.WriteSigningPayload(Issuer, IssuedUnixMs, Vector, payload);
        return issuerKey.Verify(payload, _signature);
    }
}
