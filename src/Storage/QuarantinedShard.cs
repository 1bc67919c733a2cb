namespace Overlay.Storage;

/// <summary>A shard taken out of service because its bytes failed verification or could not be read.</summary>
/// <param name="Id">The shard's id.</param>
/// <param name="Size">Its payload length in bytes, when known.</param>
/// <param name="DetectedAt">When the damage was found (the store's clock, to the millisecond).</param>
/// <param name="Reason"><c>hash_mismatch</c> (bytes that do not hash to the id) or <c>unreadable</c> (the store could not deliver them), as the <c>overlay.storage.corrupted</c> counter tags it.</param>
public readonly record struct QuarantinedShard(ShardId Id, int? Size, DateTimeOffset DetectedAt, string Reason);
