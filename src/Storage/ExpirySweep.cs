namespace Overlay.Storage;

/// <summary>What one call of <see cref="IShardStoreAdministration.CollectExpiredAsync"/> removed.</summary>
/// <param name="ShardsDeleted">Expired, unpinned shards deleted, with their holds.</param>
/// <param name="HoldsReleased">Expired holds released from shards that stay (their owners are no longer charged).</param>
public readonly record struct ExpirySweep(int ShardsDeleted, int HoldsReleased)
{
    /// <summary>Shards and holds removed together; the call's batch size bounds it.</summary>
    public int Total => ShardsDeleted + HoldsReleased;
}
