using Overlay.Crypto;

namespace Overlay.Placement.Capacity;

/// <summary>
/// A node's word on the room it offers: the bytes one owner may still place with it, the size of its store,
/// and when it said so, signed with its hybrid identity (docs/PLACEMENT.md, "Capacity records"). The issue time
/// is also the version: a later record replaces an earlier one. A record is a claim; placement weighs the peer
/// by the smaller of the claim and what this node observed since (stores it made there, refusals it met).
/// </summary>
public sealed class CapacityRecord
{
    private readonly byte[] _signature;

    internal CapacityRecord(PeerId issuer, long issuedUnixMs, long freeBytes, long totalBytes, byte[] signature)
    {
        Issuer = issuer;
        IssuedUnixMs = issuedUnixMs;
        FreeBytes = freeBytes;
        TotalBytes = totalBytes;
        _signature = signature;
    }

    /// <summary>The node whose capacity this is.</summary>
    public PeerId Issuer { get; }

    /// <summary>Issue time in Unix milliseconds; a record with a later time supersedes this one.</summary>
    public long IssuedUnixMs { get; }

    /// <summary>Issue time.</summary>
    public DateTimeOffset IssuedAt => DateTimeOffset.FromUnixTimeMilliseconds(IssuedUnixMs);

    /// <summary>Bytes one owner may still place with the issuer (0..<see cref="TotalBytes"/>); 0 when it keeps no shards for peers.</summary>
    public long FreeBytes { get; }

    /// <summary>The issuer's store size in bytes.</summary>
    public long TotalBytes { get; }

    /// <summary>
    /// The issuer's encoded identity signature over <see cref="CapacityRecordCodec.WriteSigningPayload"/>; empty on a
    /// record a <see cref="CapacityBook"/> holds, which keeps only the fields it checked.
    /// </summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>The same fields without the signature: what a book keeps once the signature has been checked.</summary>
    internal CapacityRecord Checked() => new(Issuer, IssuedUnixMs, FreeBytes, TotalBytes, []);

    /// <summary>Signs <paramref name="freeBytes"/> of <paramref name="totalBytes"/> as <paramref name="issuer"/>'s capacity at <paramref name="issuedAt"/> (kept to the millisecond).</summary>
    public static CapacityRecord Sign(NodeIdentity issuer, DateTimeOffset issuedAt, long freeBytes, long totalBytes)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (totalBytes < 0 || totalBytes > CapacityRecordCodec.MaxTotalBytes || freeBytes < 0 || freeBytes > totalBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(freeBytes), $"Free bytes {freeBytes} of {totalBytes}: need 0 <= free <= total <= {CapacityRecordCodec.MaxTotalBytes}.");
        }

        var issuedUnixMs = issuedAt.ToUnixTimeMilliseconds();
        Span<byte> payload = stackalloc byte[CapacityRecordCodec.SigningPayloadLength];
        CapacityRecordCodec.WriteSigningPayload(issuer.PeerId, issuedUnixMs, freeBytes, totalBytes, payload);
        return new CapacityRecord(issuer.PeerId, issuedUnixMs, freeBytes, totalBytes, issuer.Sign(payload));
    }

    /// <summary>True when <paramref name="issuerKey"/> is the issuer's (its PeerId matches) and the signature verifies under it.</summary>
    public bool VerifySignature(IdentityPublicKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        if (issuerKey.PeerId != Issuer)
        {
            return false;
        }

        Span<byte> payload = stackalloc byte[CapacityRecordCodec.SigningPayloadLength];
        CapacityRecordCodec.WriteSigningPayload(Issuer, IssuedUnixMs, FreeBytes, TotalBytes, payload);
        return issuerKey.Verify(payload, _signature);
    }
}
