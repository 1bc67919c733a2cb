namespace Overlay.Storage;

/// <summary>
/// Settings of the shard store (the <c>Storage</c> section of node.config.json). Validate with
/// <see cref="StorageOptionsValidator"/> before opening a store.
/// </summary>
/// <remarks>
/// Files in <see cref="Directory"/>: <c>shards.db</c> (with its <c>-wal</c>/<c>-shm</c> companions) and
/// <c>shards.db.lock</c>. The DHT's persisted routing table and records belong in their own file,
/// <c>dht.db</c> in the data directory beside this one, not in tables of <c>shards.db</c>: the shard database is large,
/// written through one batching writer and scrubbed, quarantined or wiped (re-synced from replicas)
/// on its own, while the routing table and records are small, changed a row at a time, and must survive
/// a wipe of the shards. Separate files also keep one store's writer lock and WAL checkpoints from stalling the
/// other's writes, and let each choose its own durability.
/// </remarks>
public sealed class StorageOptions
{
    /// <summary>Smallest shard size limit accepted by validation (bytes).</summary>
    public const int MinShardBytesLimit = 1024;

    /// <summary>Largest shard size limit accepted by validation: 4 MiB.</summary>
    public const int MaxShardBytesLimit = 4 * 1024 * 1024;

    /// <summary>
    /// Directory holding the shard database. Default: <c>storage</c>. The node resolves a relative
    /// path against its data directory; used as a library, against the working directory. Created if missing.
    /// </summary>
    public string Directory { get; set; } = "storage";

    /// <summary>
    /// Quota on stored shards: each is charged its size plus <see cref="StorageUsage.ShardOverheadBytes"/>.
    /// A put beyond it fails with <see cref="StorageErrorReason.QuotaExceeded"/>. Default: 10 GiB; range 1 byte and up.
    /// </summary>
    public long CapacityBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Largest shard accepted (bytes). Default: 1 MiB; range 1 KiB–4 MiB.</summary>
    public int MaxShardBytes { get; set; } = 1024 * 1024;

    /// <summary>What an acknowledged put survives. Default: <see cref="StorageDurability.Normal"/> (survives a killed process, not power loss).</summary>
    public StorageDurability Durability { get; set; } = StorageDurability.Normal;

    /// <summary>Most operations committed in one write transaction. Default: 1024; range 1–65536.</summary>
    public int WriteBatchSize { get; set; } = 1024;

    /// <summary>
    /// New shards are appended to a log in arrival order, found through an in-memory index of the
    /// log (30–39 bytes per shard), and merged into the on-disk id index, sorted, only once the log
    /// holds this many. Below it a put is two appends and a read one B-tree descent. A merge costs
    /// every shard an insert into a B-tree that outgrew the page cache, several times what its put
    /// cost, so this is the memory the store may spend to keep puts and reads at their fastest. The default holds at most about 160 MB and covers
    /// the default quota for shards averaging 2.5 KiB or more. Open reads the log's ids (about
    /// 0.5 s per million). Default: 4194304; range 1–16777216.
    /// </summary>
    public int MergeThreshold { get; set; } = 1 << 22;

    /// <summary>
    /// Whether closing the store first finishes a merge in progress, or merges a log of at most
    /// <see cref="MergeChunkShards"/> shards. Default: false: the log is where shards are fastest to
    /// read, and a merge left unfinished starts again after the next open. Internal: tests turn it on
    /// to reopen a store whose shards are all in the id index.
    /// </summary>
    internal bool MergeOnClose { get; set; }

    /// <summary>
    /// Fewest logged shards moved per merge transaction. A merge is split into id ranges of this many
    /// shards or a quarter of the log, whichever is more, one transaction each with a batch of puts
    /// between them; each range goes into the index in id order. Internal: tests shrink it.
    /// </summary>
    internal int MergeChunkShards { get; set; } = 16384;

    /// <summary>
    /// Smallest number of ids the writer's id filter is sized for (it is sized for twice the shards
    /// stored, and rebuilt when full). Internal: tests shrink it to make rebuilds happen.
    /// </summary>
    internal int IdFilterMinimumCapacity { get; set; } = 1 << 16;

    /// <summary>Capacity of the bounded queue in front of the writer; puts wait when it is full. Default: 4096; range 1–1048576.</summary>
    public int WriteQueueCapacity { get; set; } = 4096;

    /// <summary>Read connections in the pool (concurrent readers). Default: 4; range 1–256.</summary>
    public int ReaderCount { get; set; } = 4;

    /// <summary>Memory-mapped I/O window per connection (<c>PRAGMA mmap_size</c>), bytes; 0 turns it off. Default: 256 MiB; range 0–64 GiB.</summary>
    public long MmapBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Page cache per connection (<c>PRAGMA cache_size</c>), KiB. Default: 8192 (8 MiB); range 64–4194304.</summary>
    public int CacheKibibytes { get; set; } = 8192;

    /// <summary>Interval of the expired-shard collector loop. Default: 1 minute; range 1 second–1 day.</summary>
    public TimeSpan CollectInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Shards deleted per collector transaction, kept small so the writer queue keeps moving. Default: 256; range 1–65536.</summary>
    public int CollectBatchSize { get; set; } = 256;

    /// <summary>Read bookkeeping entries (last-verified times) buffered before the oldest are dropped. Default: 65536; range 0–16777216.</summary>
    public int BookkeepingQueueCapacity { get; set; } = 65536;

    /// <summary>
    /// Hard page limit of the database file (<c>PRAGMA max_page_count</c>), 0 for SQLite's own limit.
    /// Reaching it behaves exactly like a full disk. Default: 0; range 0 and up.
    /// </summary>
    public long MaxPageCount { get; set; }
}
