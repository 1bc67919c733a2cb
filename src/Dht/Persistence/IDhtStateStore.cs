namespace Overlay.Dht.Persistence;

/// <summary>Keeps a node's routing-table contacts and records across restarts.</summary>
public interface IDhtStateStore
{
    /// <summary>Where the state is kept, for log messages.</summary>
    string Path { get; }

    /// <summary>
    /// Reads the saved state. Never throws for bad content: damaged files and rows are reported in
    /// <see cref="DhtStateLoadResult.Problems"/> and skipped; records expired at <paramref name="now"/> are dropped.
    /// A missing file is an empty snapshot.
    /// </summary>
    DhtStateLoadResult Load(DateTimeOffset now);

    /// <summary>Replaces the saved state with <paramref name="snapshot"/> atomically; a failure is a <see cref="DhtStateException"/> and leaves the old state.</summary>
    void Save(DhtSnapshot snapshot);
}
