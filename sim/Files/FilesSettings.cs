using Overlay.Transport;

namespace Overlay.Sim.Files;

/// <summary>What <see cref="FilesRun"/> does: the network, the files, the code and each link's rate.</summary>
internal sealed record FilesSettings
{
    /// <summary>Whole nodes in the network.</summary>
    public int Nodes { get; init; } = 1000;

    /// <summary>The size of each file stored, in bytes, in order.</summary>
    public IReadOnlyList<long> FileBytes { get; init; } = [1L << 20, 100L << 20];

    /// <summary>Data shards per stripe (k).</summary>
    public int DataShards { get; init; } = 10;

    /// <summary>Parity shards per stripe (m): as many holders of every stripe are killed before the second fetch.</summary>
    public int ParityShards { get; init; } = 4;

    /// <summary>Bytes per stripe (the daemon's <c>Files:ChunkBytes</c>).</summary>
    public int ChunkBytes { get; init; } = new Overlay.Node.Configuration.FilesOptions().ChunkBytes;

    /// <summary>Shard transfers at once (the daemon's <c>Files:ParallelShards</c>).</summary>
    public int ParallelShards { get; init; } = new Overlay.Node.Configuration.FilesOptions().ParallelShards;

    /// <summary>Each stream's initial receive window (the daemon's <c>Transport:StreamWindowBytes</c>).</summary>
    public int StreamWindowBytes { get; init; } = new TransportOptions().StreamWindowBytes;

    /// <summary>
    /// The largest window a bulk stream grows to (the daemon's <c>Transport:BulkStreamWindowMaxBytes</c>);
    /// equal to <see cref="StreamWindowBytes"/> for fixed windows, which carry at most one window of a shard per round trip.
    /// </summary>
    public int BulkStreamWindowMaxBytes { get; init; } = new TransportOptions().BulkStreamWindowMaxBytes;

    /// <summary>Serialisation rate of every simulated connection, each direction, in bytes per second (0: unlimited).</summary>
    public long LinkBytesPerSecond { get; init; } = 100_000_000 / 8;

    /// <summary>Seeds the identities, the network's randomness, the files' bytes and the choice of nodes.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Print the digest of every delivery at the end (<see cref="RunDigest"/>), to compare runs in different processes.</summary>
    public bool EventDigest { get; init; }
}
