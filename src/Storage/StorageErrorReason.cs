namespace Overlay.Storage;

/// <summary>Why a storage operation or the opening of a store failed.</summary>
public enum StorageErrorReason
{
    /// <summary>The file is not an SQLite database (garbage header, truncated, or another format).</summary>
    NotADatabase,

    /// <summary>SQLite reported corruption of the database structure (not just of one shard's bytes).</summary>
    Corrupted,

    /// <summary>The database is an SQLite file that belongs to some other application.</summary>
    ForeignDatabase,

    /// <summary>The database was written by a newer version of this software (schema version above ours).</summary>
    NewerSchema,

    /// <summary>Another process (or another store in this process) holds the store open.</summary>
    Locked,

    /// <summary>The file or its directory cannot be written.</summary>
    ReadOnly,

    /// <summary>The file cannot be created or opened at all (missing directory, bad path, permission).</summary>
    CannotOpen,

    /// <summary>The file system is full (or the database reached its page limit); nothing of the operation was written.</summary>
    DiskFull,

    /// <summary>Accepting the shard would exceed <see cref="StorageOptions.CapacityBytes"/>; nothing was written.</summary>
    QuotaExceeded,

    /// <summary>The shard is larger than <see cref="StorageOptions.MaxShardBytes"/>; nothing was written.</summary>
    ShardTooLarge,

    /// <summary>The store has been disposed.</summary>
    Closed,

    /// <summary>Any other I/O failure reported by SQLite or the file system.</summary>
    IoError,

    /// <summary>Accepting a new hold would charge its owner past <see cref="ShardPutOptions.OwnerCapacityBytes"/>; nothing was written.</summary>
    OwnerQuotaExceeded,

    /// <summary>The bytes do not hash to <see cref="ShardPutOptions.ExpectedId"/>, the id their sender claimed; nothing was written.</summary>
    IdMismatch,
}
