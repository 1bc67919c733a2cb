namespace Overlay.Sim;

/// <summary>What <see cref="RepairRun"/> does: the network, the shards, the kill and the read-back after it.</summary>
internal sealed record RepairSettings
{
    /// <summary>Whole nodes in the network.</summary>
    public int Nodes { get; init; } = 200;

    /// <summary>Shards placed, each by a random owner.</summary>
    public int Shards { get; init; } = 2000;

    /// <summary>The size of each shard, in bytes (random bytes).</summary>
    public int ShardBytes { get; init; } = 16384;

    /// <summary>The fraction of all nodes killed at once, in (0, 1).</summary>
    public double Kill { get; init; } = 0.2;

    /// <summary>Whether the owners' maintenance repairs (the daemon's <c>ShardExchange:RepairEnabled</c>).</summary>
    public bool Repair { get; init; } = true;

    /// <summary>Seeds the identities, the network's randomness, the shards' bytes and owners, the victims and the readers.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Each node's <c>Dht:CheckedProviderRecords</c> (0: every provider record verified).</summary>
    public int ProviderCache { get; init; } = Overlay.Dht.Records.CheckedProviderRecords.DefaultCapacity;

    /// <summary>
    /// Read-backs under way at once, across the network (1: one shard after another). Each read is a provider
    /// lookup and a fetch, a few round trips of virtual time; 64, as the placement phase's puts at a time.
    /// </summary>
    public int ParallelReads { get; init; } = 64;

    /// <summary>
    /// How long a dial to a killed node takes to fail (<see cref="Overlay.Transport.InMemory.InMemoryNetwork.DeadHostDialDelay"/>);
    /// null: the dialling node's handshake timeout, as in the daemon; zero: at once.
    /// </summary>
    public TimeSpan? DeadDialDelay { get; init; }

    /// <summary>Print the digest of every delivery at the end (<see cref="RunDigest"/>), to compare runs in different processes.</summary>
    public bool EventDigest { get; init; }

    /// <summary>When positive, print a <see cref="RepairProgress"/> line every that much virtual time.</summary>
    public TimeSpan Progress { get; init; }
}
