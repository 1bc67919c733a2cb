using System.Text.Json.Nodes;

namespace Overlay.Node.Files;

/// <summary>
/// How far a store or fetch has come, updated by the operation and read at any time by the control API
/// (so <c>overlay store</c> and <c>fetch</c> can draw a progress bar). Thread-safe counters.
/// </summary>
public sealed class TransferProgress
{
    private long _totalBytes;
    private long _doneBytes;
    private long _shardsTotal;
    private long _shardsDone;
    private long _shardsFailed;
    private long _hedges;
    private long _stripesResumed;
    private long _stripesChanged;

    /// <summary>Bytes of the file the operation covers (set once known).</summary>
    public long TotalBytes { get => Interlocked.Read(ref _totalBytes); set => Interlocked.Exchange(ref _totalBytes, value); }

    /// <summary>Bytes of the file done (stored: its stripes placed; fetched: its stripes written).</summary>
    public long DoneBytes => Interlocked.Read(ref _doneBytes);

    /// <summary>Shards to place or fetch (set as stripes are planned).</summary>
    public long ShardsTotal => Interlocked.Read(ref _shardsTotal);

    /// <summary>Shards placed on a holder, or fetched and verified.</summary>
    public long ShardsDone => Interlocked.Read(ref _shardsDone);

    /// <summary>Shard transfers that failed or brought bytes that did not verify (another shard was used).</summary>
    public long ShardsFailed => Interlocked.Read(ref _shardsFailed);

    /// <summary>Extra shard requests made because one was slow (hedged requests).</summary>
    public long Hedges => Interlocked.Read(ref _hedges);

    /// <summary>Stripes a resumed fetch found already written and intact.</summary>
    public long StripesResumed => Interlocked.Read(ref _stripesResumed);

    /// <summary>Stripes a resumed fetch found changed on disk (fetched again).</summary>
    public long StripesChanged => Interlocked.Read(ref _stripesChanged);

    public void AddDoneBytes(long bytes) => Interlocked.Add(ref _doneBytes, bytes);

    public void AddShards(long count) => Interlocked.Add(ref _shardsTotal, count);

    public void ShardDone() => Interlocked.Increment(ref _shardsDone);

    public void ShardFailed() => Interlocked.Increment(ref _shardsFailed);

    public void Hedged() => Interlocked.Increment(ref _hedges);

    public void StripeResumed() => Interlocked.Increment(ref _stripesResumed);

    public void StripeChanged() => Interlocked.Increment(ref _stripesChanged);

    /// <summary>The counters as JSON (the control API's progress reply).</summary>
    public JsonObject ToJson() => new()
    {
        ["totalBytes"] = TotalBytes,
        ["doneBytes"] = DoneBytes,
        ["shardsTotal"] = ShardsTotal,
        ["shardsDone"] = ShardsDone,
        ["shardsFailed"] = ShardsFailed,
        ["hedges"] = Hedges,
        ["stripesResumed"] = StripesResumed,
        ["stripesChanged"] = StripesChanged,
    };
}
