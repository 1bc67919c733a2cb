using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Last-verified times that reads report: queued from any thread, bounded, and written by the writer
/// thread in one transaction of their own between batches. They are advisory, so a full queue drops
/// and counts, and a failed write is rolled back and forgotten rather than stopping the writer.
/// </summary>
internal sealed class VerificationRecorder : IDisposable
{
    // Writes at most this many times per transaction, so one flush never holds up the batches long.
    private const int FlushLimit = 8192;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _setVerified, _setVerifiedRecent;
    private readonly WriteTransaction _transaction;
    private readonly RecentShardIndex _recent;
    private readonly StorageOptions _options;
    private readonly ShardStoreMetrics _metrics;
    private readonly ConcurrentQueue<(ShardId Id, long At)> _verified = new();
    private int _verifiedCount;

    public VerificationRecorder(SqliteConnection connection, WriteTransaction transaction, RecentShardIndex recent, StorageOptions options, ShardStoreMetrics metrics)
    {
        _db = connection.Handle!;
        _transaction = transaction;
        _recent = recent;
        _options = options;
        _metrics = metrics;
        _setVerified = Native.Prepare(connection, "UPDATE shards SET last_verified = ?2 WHERE id = ?1 AND (last_verified IS NULL OR last_verified < ?2)");
        _setVerifiedRecent = Native.Prepare(connection, "UPDATE recent_shards SET last_verified = ?2 WHERE seq = ?1 AND id = ?3 AND (last_verified IS NULL OR last_verified < ?2)");
    }

    /// <summary>Times queued and not yet written; any thread.</summary>
    public int Queued => Volatile.Read(ref _verifiedCount);

    /// <summary>Records that a read verified a shard; written in the background, dropped when the queue is full.</summary>
    public void Record(in ShardId id, long atUnixMilliseconds)
    {
        if (Interlocked.Increment(ref _verifiedCount) > _options.BookkeepingQueueCapacity)
        {
            Interlocked.Decrement(ref _verifiedCount);
            _metrics.BookkeepingDropped.Add(1);
            return;
        }

        _verified.Enqueue((id, atUnixMilliseconds));
        _recent.MarkVerified(id, RecentLogLoader.VerifiedMinute(atUnixMilliseconds));
    }

    /// <summary>Writes queued last-verified times in one transaction, on the writer thread between batches.</summary>
    public void Flush()
    {
        if (_verified.IsEmpty)
        {
            return;
        }

        try
        {
            _transaction.Begin();
            var n = 0;
            while (n < FlushLimit && _verified.TryDequeue(out var entry))
            {
                Interlocked.Decrement(ref _verifiedCount);
                var logged = false;
                if (_recent.TryGet(entry.Id, out var seq))
                {
                    raw.sqlite3_bind_int64(_setVerifiedRecent, 1, seq);
                    raw.sqlite3_bind_int64(_setVerifiedRecent, 2, entry.At);
                    Native.BindId(_setVerifiedRecent, 3, entry.Id);
                    Native.Run(_db, _setVerifiedRecent);
                    // No change: already newer, or the row was merged meanwhile or holds another id (then it is in shards).
                    logged = raw.sqlite3_changes(_db) > 0;
                }

                if (!logged)
                {
                    Native.BindId(_setVerified, 1, entry.Id);
                    raw.sqlite3_bind_int64(_setVerified, 2, entry.At);
                    Native.Run(_db, _setVerified);
                }
                n++;
            }

            _transaction.Commit();
        }
        catch (SqliteException)
        {
            // Last-verified times are advisory; a full disk must not stop the writer over them.
            _transaction.Rollback();
        }
    }

    public void Dispose()
    {
        _setVerified.Dispose();
        _setVerifiedRecent.Dispose();
    }
}
