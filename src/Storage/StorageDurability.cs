namespace Overlay.Storage;

/// <summary>
/// How far an acknowledged put survives. The store always runs SQLite in WAL mode; the choice sets
/// <c>PRAGMA synchronous</c>.
/// </summary>
public enum StorageDurability
{
    /// <summary>
    /// <c>synchronous=NORMAL</c>: a transaction is in the WAL file (handed to the kernel with
    /// write()) before its puts are acknowledged, but the WAL is fsynced only at checkpoints. An
    /// acknowledged put survives the process being killed (SIGKILL, crash, OOM kill), because the
    /// kernel's page cache still holds it; a power loss or kernel panic can lose the last
    /// transactions (never corrupt the database). Shards are replicated across nodes, so the
    /// network repairs that rare loss; this is the default because it costs no fsync per batch.
    /// </summary>
    Normal,

    /// <summary>
    /// <c>synchronous=FULL</c>: the WAL is fsynced before every commit returns, so an acknowledged
    /// put also survives power loss. Batching amortises the fsync over a whole batch, but each
    /// batch waits for the device (milliseconds on disks without a write cache).
    /// </summary>
    Full,
}
