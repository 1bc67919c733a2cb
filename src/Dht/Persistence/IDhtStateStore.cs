namespace Overlay.Dht.Persistence;

/// <summary>
/// Keeps a node's routing-table contacts and records across restarts, changed a little at a time: every
/// record the node keeps is written when it is kept (<see cref="DhtStateJournal"/> batches those writes),
/// contacts when the node saves them. Not thread-safe: <see cref="Load"/> runs first, then one writer applies changes.
/// </summary>
public interface IDhtStateStore : IDisposable
{
    /// <summary>Where the state is kept, for log messages.</summary>
    string Path { get; }

    /// <summary>
    /// Reads the saved state. Never throws for bad content: damaged files and rows are reported in
    /// <see cref="DhtStateLoadResult.Problems"/>, skipped and deleted; records expired at <paramref name="now"/> are
    /// dropped and deleted. A missing file is an empty snapshot.
    /// </summary>
    DhtStateLoadResult Load(DateTimeOffset now);

    /// <summary>
    /// Applies <paramref name="changes"/> in order, all or none, in one transaction. When it returns they
    /// survive the process being killed (and, where the store is set up for it, power loss). A failure is
    /// a <see cref="DhtStateException"/> and applies none of them.
    /// </summary>
    void Apply(IReadOnlyList<DhtStateChange> changes);
}
