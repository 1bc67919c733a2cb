using System.Diagnostics.Metrics;
using Overlay.Storage;
using Overlay.Storage.InMemory;

namespace Overlay.Storage.Tests.Contract;

/// <summary>The conformance suite on the in-memory store of the simulator.</summary>
public sealed class InMemoryShardStoreContractTests : ShardStoreContractTests
{
    protected override TestShardStore Open(Action<StorageOptions>? configure = null, TimeProvider? time = null) => new InMemoryTestShardStore(configure, time);
}

internal sealed class InMemoryTestShardStore : TestShardStore
{
    private readonly InMemoryShardStore _store;

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public InMemoryTestShardStore(Action<StorageOptions>? configure, TimeProvider? time)
    {
        Options = new StorageOptions();
        configure?.Invoke(Options);
        Time = time ?? TimeProvider.System;
        _store = new InMemoryShardStore(Options, Time);
    }

    public override IShardStore Store => _store;

    public override IShardStoreAdministration Administration => _store;

    public override Meter Meter => _store.Meter;

    // Nothing is persisted: the same object is the reopened store.
    public override Task ReopenAsync() => Task.CompletedTask;

    public override Task DamageAsync(ShardId id)
    {
        Assert.True(_store.TryGetInfo(id, out var info));
        // The first byte and, in a longer shard, the middle one inverted: the same length, other bytes.
        Assert.True(_store.Corrupt(id, 0));
        if (info.Size > 1)
        {
            Assert.True(_store.Corrupt(id, info.Size / 2));
        }

        return Task.CompletedTask;
    }

    public override Task CloseAsync() => _store.DisposeAsync().AsTask();

    public override ValueTask DisposeAsync() => _store.DisposeAsync();
}
