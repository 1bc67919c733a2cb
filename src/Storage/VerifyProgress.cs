namespace Overlay.Storage;

/// <summary>Progress of a scrub, reported after each batch.</summary>
/// <param name="Checked">Shards checked so far.</param>
/// <param name="Total">Shards stored when the scrub started.</param>
/// <param name="Corrupted">Corrupted or unreadable shards found so far.</param>
public readonly record struct VerifyProgress(long Checked, long Total, long Corrupted);
