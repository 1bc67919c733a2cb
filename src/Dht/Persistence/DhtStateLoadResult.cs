namespace Overlay.Dht.Persistence;

/// <summary>
/// The outcome of loading saved state: whatever could be read, the problems met (each skipped, never
/// thrown), and how many value records (<paramref name="ExpiredRecords"/>) and provider records
/// (<paramref name="ExpiredProviders"/>) were dropped because they had expired while the node was stopped.
/// </summary>
public sealed record DhtStateLoadResult(DhtSnapshot Snapshot, IReadOnlyList<DhtStateProblem> Problems, int ExpiredRecords, int ExpiredProviders = 0);
