using System.Diagnostics.Metrics;
using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

/// <summary>One store under test, as the conformance suite sees it: both interfaces, its meter, and the few things only each implementation can do.</summary>
public abstract class TestShardStore : IAsyncDisposable
{
    public abstract IShardStore Store { get; }

    public abstract IShardStoreAdministration Administration { get; }

    public abstract Meter Meter { get; }

    public required StorageOptions Options { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Closes and opens the store again: SQLite reads its file anew; a store without persistence keeps its state.</summary>
    public abstract Task ReopenAsync();

    /// <summary>Replaces a stored shard's bytes by others of the same length, as a failing disk would, leaving its metadata.</summary>
    public abstract Task DamageAsync(ShardId id);

    /// <summary>Closes the store; later operations must fail with Closed.</summary>
    public abstract Task CloseAsync();

    public abstract ValueTask DisposeAsync();
}
