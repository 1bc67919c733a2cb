using Overlay.Crypto;

namespace Overlay.Storage;

/// <summary>Per-put settings.</summary>
/// <param name="ExpiresAt">When the shard may be collected (null = never). Putting content that is already stored keeps the later expiry; so does a hold.</param>
/// <param name="Pinned">Pinned shards are never collected. Putting stored content with Pinned = true pins it.</param>
/// <param name="Owner">The identity the shard is kept for (a peer that sent it); null for the node's own shards. The put then also creates or extends that owner's hold, expiring at <paramref name="ExpiresAt"/>, and charges the owner for it once.</param>
/// <param name="OwnerCapacityBytes">
/// The most <paramref name="Owner"/> may be charged (<see cref="OwnerUsage.ChargedBytes"/>), 0 and up; null = no limit. Checked in
/// the same write as the commit, so concurrent puts of one owner cannot pass it together. Renewing a hold the owner already has is never refused.
/// </param>
/// <param name="ExpectedId">
/// The id the sender claimed for these bytes; null when there is none. Bytes that hash to another id are refused with
/// <see cref="StorageErrorReason.IdMismatch"/> before anything is written, from the one hash the store computes anyway.
/// </param>
public readonly record struct ShardPutOptions(DateTimeOffset? ExpiresAt = null, bool Pinned = false, PeerId? Owner = null, long? OwnerCapacityBytes = null, ShardId? ExpectedId = null)
{
    /// <summary>Throws <see cref="ArgumentException"/> for a limit without an owner or a negative limit.</summary>
    internal void Validate()
    {
        if (OwnerCapacityBytes is { } limit)
        {
            if (Owner is null)
            {
                throw new ArgumentException("OwnerCapacityBytes limits an owner; set Owner too.", nameof(OwnerCapacityBytes));
            }

            ArgumentOutOfRangeException.ThrowIfNegative(limit, nameof(OwnerCapacityBytes));
        }
    }
}
