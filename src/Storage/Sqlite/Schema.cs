using Microsoft.Data.Sqlite;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The database layout, versioned with <c>PRAGMA user_version</c> and identified with
/// <c>PRAGMA application_id</c>. Migrations only run forward, each in its own transaction.
/// </summary>
/// <remarks>
/// Metadata (<c>shards</c>, keyed by id, no rowid) is kept apart from payloads (<c>shard_data</c>,
/// rowid table so incremental blob I/O works). Updating a pin, an expiry or the last-verified time
/// therefore rewrites a small row instead of the whole payload record, and enumeration, expiry
/// collection and open never touch payload pages. Holds (an owner's claim on a shard) live in
/// <c>holds</c>, apart from the shard's metadata, which a shard without owners never needs. New shards first go to <c>recent_shards</c>, a log
/// in arrival order, and move to <c>shards</c> in id-sorted runs (see <see cref="RecentShardIndex"/>). Capacity accounting lives in <c>usage</c>,
/// updated in the same transaction as the shards, so opening a store of a million shards reads one row.
/// </remarks>
internal static class Schema
{
    /// <summary>"OVLS" — marks the file as an Overlay shard store.</summary>
    public const int ApplicationId = 0x4F564C53;

    public const int CurrentVersion = 6;

    private static readonly string[] Migrations =
    [
        // 0 → 1
        """
        CREATE TABLE shard_data(
            rowid INTEGER PRIMARY KEY,
            data BLOB NOT NULL);
        CREATE TABLE shards(
            id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 32),
            data_id INTEGER NOT NULL,
            size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            expires_at INTEGER,
            pinned INTEGER NOT NULL,
            last_verified INTEGER) WITHOUT ROWID;
        CREATE INDEX shards_collectable ON shards(expires_at) WHERE pinned = 0 AND expires_at IS NOT NULL;
        CREATE TABLE quarantine(
            id BLOB PRIMARY KEY NOT NULL,
            size INTEGER,
            stored_at INTEGER,
            detected_at INTEGER NOT NULL,
            reason TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE usage(
            id INTEGER PRIMARY KEY CHECK (id = 0),
            shard_count INTEGER NOT NULL,
            used_bytes INTEGER NOT NULL);
        INSERT INTO usage(id, shard_count, used_bytes) VALUES (0, 0, 0);
        """,
        // 1 → 2: new shards are appended here in arrival order (one append per put instead of an
        // insert at a random leaf of the id index) and merged into `shards` in id order in batches.
        // No index on id: the writer keeps one in memory, loaded at open.
        """
        CREATE TABLE recent_shards(
            seq INTEGER PRIMARY KEY,
            id BLOB NOT NULL CHECK (length(id) = 32),
            data_id INTEGER NOT NULL,
            size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            expires_at INTEGER,
            pinned INTEGER NOT NULL,
            last_verified INTEGER);
        """,
        // 2 → 3: the log is where shards live until it reaches the merge threshold (up to a million),
        // so expiry collection gets the same partial index on it as on `shards`. Expiry times mostly
        // grow with arrival, so its entries are appended near its end.
        """
        CREATE INDEX recent_collectable ON recent_shards(expires_at) WHERE pinned = 0 AND expires_at IS NOT NULL;
        """,
        // 3 → 4: a log row's seq is its payload's rowid (both grow with arrival, one per put), so the
        // in-memory log index leads a read straight to the payload, one B-tree descent instead of two.
        // Two log rows name the same payload row only in a damaged file, where a row whose payload was
        // lost had its number given to a later put: the later one, which owns the payload, is kept.
        """
        CREATE TABLE recent_shards_4(
            seq INTEGER PRIMARY KEY,
            id BLOB NOT NULL CHECK (length(id) = 32),
            data_id INTEGER NOT NULL,
            size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            expires_at INTEGER,
            pinned INTEGER NOT NULL,
            last_verified INTEGER);
        INSERT OR REPLACE INTO recent_shards_4(seq, id, data_id, size, stored_at, expires_at, pinned, last_verified)
            SELECT data_id, id, data_id, size, stored_at, expires_at, pinned, last_verified FROM recent_shards ORDER BY seq;
        DROP TABLE recent_shards;
        ALTER TABLE recent_shards_4 RENAME TO recent_shards;
        CREATE INDEX recent_collectable ON recent_shards(expires_at) WHERE pinned = 0 AND expires_at IS NOT NULL;
        """,
        // 4 → 5: the next payload row number is kept with the totals, so a payload row lost from a
        // damaged file never has its number given to a new shard: its metadata row still names it, and
        // quarantining that shard would delete the new shard's payload.
        """
        ALTER TABLE usage ADD COLUMN next_data_id INTEGER NOT NULL DEFAULT 0;
        """,
        // 5 → 6: holds, one per shard and owner (the identity it is kept for), with the hold's own
        // expiry and the shard's size, so an owner's charge is summed from its rows and given back
        // when a hold expires while other owners keep the shard. Keyed by shard id: a shard's delete
        // removes its holds in one range. Shards stored before have no owner.
        """
        CREATE TABLE holds(
            id BLOB NOT NULL CHECK (length(id) = 32),
            owner BLOB NOT NULL CHECK (length(owner) = 32),
            size INTEGER NOT NULL,
            expires_at INTEGER,
            PRIMARY KEY (id, owner)) WITHOUT ROWID;
        CREATE INDEX holds_expiring ON holds(expires_at) WHERE expires_at IS NOT NULL;
        """,
    ];

    /// <summary>Checks the file belongs to us and is not newer, then migrates it to <see cref="CurrentVersion"/>.</summary>
    public static void Migrate(SqliteConnection connection, string path)
    {
        var applicationId = Scalar(connection, "PRAGMA application_id");
        var version = Scalar(connection, "PRAGMA user_version");
        var tables = Scalar(connection, "SELECT count(*) FROM sqlite_master");
        if (applicationId != ApplicationId && (applicationId != 0 || tables != 0))
        {
            throw new StorageException(StorageErrorReason.ForeignDatabase, $"The file '{path}' is an SQLite database of another application (application_id {applicationId}), not an Overlay shard store.") { FilePath = path };
        }

        if (version > CurrentVersion)
        {
            throw new StorageException(StorageErrorReason.NewerSchema, $"The shard store '{path}' has schema version {version}, newer than the {CurrentVersion} this version understands; upgrade the software.") { FilePath = path };
        }

        for (var v = (int)version; v < CurrentVersion; v++)
        {
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = Migrations[v] + $"\nPRAGMA application_id = {ApplicationId};\nPRAGMA user_version = {v + 1};";
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
