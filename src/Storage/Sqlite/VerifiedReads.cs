using System.Buffers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The store's reading side: the pool of read connections, reads that hash what they return against
/// the shard's id, and what a failed check sets off (counted, logged, queued for quarantine). A read
/// that verified asks the writer to record when, at most once per
/// <see cref="ShardInfo.VerifiedRecordIntervalMilliseconds"/>. Any thread.
/// </summary>
internal sealed class VerifiedReads : IDisposable
{
    /// <summary>Shards per page when listing; small enough that writers and other readers get in between pages.</summary>
    public const int PageSize = 512;

    private readonly ShardReader[] _readers;
    private readonly ReaderPool _pool;
    private readonly ShardWriter _writer;
    private readonly TimeProvider _time;
    private readonly ShardStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly int _maxShardBytes;
    private int _closed;

    public VerifiedReads(ShardReader[] readers, ShardWriter writer, TimeProvider time, ShardStoreMetrics metrics, ILogger logger, string path, int maxShardBytes)
    {
        _readers = readers;
        _pool = new ReaderPool(readers);
        _writer = writer;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _path = path;
        _maxShardBytes = maxShardBytes;
    }

    /// <summary>Benchmarks only: reads skip the hash check, to show what verification costs.</summary>
    public bool SkipVerification
    {
        set
        {
            foreach (var reader in _readers)
            {
                reader.SkipVerification = value;
            }
        }
    }

    /// <summary>Reads into <paramref name="buffer"/>, or with a <paramref name="writer"/> into a span of it sized for the shard.</summary>
    public ShardReadResult Read(in ShardId id, Span<byte> buffer, IBufferWriter<byte>? writer)
    {
        var reader = Rent();
        try
        {
            // Twice at most: the second time past a log entry that was another shard's (see ReadVerified).
            for (var consultLog = true; ; consultLog = false)
            {
                if (!reader.BeginRead(id, out var dataId, out var size, out var lastVerified, consultLog))
                {
                    return new ShardReadResult(ShardReadStatus.NotFound, 0);
                }

                if (writer is null && buffer.Length < size)
                {
                    return new ShardReadResult(ShardReadStatus.DestinationTooSmall, size);
                }

                var destination = writer is null ? buffer[..size] : writer.GetSpan(size)[..size];
                var status = reader.ReadVerified(id, dataId, destination, out var unreadable);
                if (status == ShardReadStatus.NotFound && consultLog)
                {
                    reader.EndRead();
                    continue;
                }

                var result = Finish(id, status, unreadable, size, lastVerified, "read");
                if (result.Status == ShardReadStatus.Found)
                {
                    // Only verified bytes are committed to the writer.
                    writer?.Advance(size);
                }

                return result;
            }
        }
        catch (SqliteException e) when (Errors.IsCorruption(e))
        {
            return Unreadable(id, "read");
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "reading a shard");
        }
        finally
        {
            reader.EndRead();
            Return(reader);
        }
    }

    /// <summary>Reads a whole shard into a pooled buffer, which the caller returns whatever the result.</summary>
    public byte[] ReadPooled(in ShardId id, out ShardReadResult result)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_maxShardBytes);
        try
        {
            result = Read(id, buffer.AsSpan(), null);
            if (result.Status == ShardReadStatus.DestinationTooSmall)
            {
                // A shard stored under a larger MaxShardBytes than the store now runs with.
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(result.Length);
                result = Read(id, buffer.AsSpan(), null);
            }

            return buffer;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public bool Contains(in ShardId id)
    {
        var reader = Rent();
        try
        {
            return reader.Contains(id);
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "looking up a shard");
        }
        finally
        {
            Return(reader);
        }
    }

    public bool TryGetInfo(in ShardId id, out ShardInfo info)
    {
        var reader = Rent();
        try
        {
            return reader.TryGetInfo(id, out info);
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "reading shard metadata");
        }
        finally
        {
            Return(reader);
        }
    }

    /// <summary>Reads the next page of up to <see cref="PageSize"/> shards from <paramref name="cursor"/>.</summary>
    public void ReadPage(ShardPageCursor cursor, List<(ShardInfo Info, long DataId)> page)
    {
        var reader = Rent();
        try
        {
            cursor.ReadNext(reader.Connection, PageSize, page);
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "listing shards");
        }
        finally
        {
            Return(reader);
        }
    }

    /// <summary>What a verified read (or a scrub) found: records a good shard's verification, reports and quarantines a bad one.</summary>
    public ShardReadResult Finish(in ShardId id, ShardReadStatus status, bool unreadable, int size, long lastVerified, string source)
    {
        if (status == ShardReadStatus.Found)
        {
            // A hot shard read thousands of times a second needs its verification time written at
            // most once per interval, or the bookkeeping would cost the writer as much as the reads.
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now - lastVerified >= ShardInfo.VerifiedRecordIntervalMilliseconds)
            {
                _writer.RecordVerified(id, now);
            }

            return new ShardReadResult(ShardReadStatus.Found, size);
        }

        if (unreadable)
        {
            return Unreadable(id, source);
        }

        _metrics.Corrupted.Add(1, new KeyValuePair<string, object?>("reason", "hash_mismatch"), new KeyValuePair<string, object?>("source", source));
        Log.Corrupted(_logger, id, _path, "hash_mismatch", source);
        QueueQuarantine(id, "hash_mismatch");
        return new ShardReadResult(ShardReadStatus.Corrupted, 0);
    }

    private ShardReadResult Unreadable(in ShardId id, string source)
    {
        _metrics.Corrupted.Add(1, new KeyValuePair<string, object?>("reason", "unreadable"), new KeyValuePair<string, object?>("source", source));
        Log.Corrupted(_logger, id, _path, "unreadable", source);
        QueueQuarantine(id, "unreadable");
        return new ShardReadResult(ShardReadStatus.Corrupted, 0);
    }

    private void QueueQuarantine(in ShardId id, string reason)
    {
        // Best effort: if the queue is full the next read finds the same damage and tries again;
        // until then every read re-verifies, so the bad bytes are never served either way.
        _writer.TryEnqueue(new QuarantineOperation { Id = id, Reason = reason });
    }

    /// <summary>A read connection for one call; throws <see cref="StorageErrorReason.Closed"/> once the store is closing.</summary>
    public ShardReader Rent()
    {
        ThrowIfClosed();
        var reader = _pool.Rent();
        if (Volatile.Read(ref _closed) != 0)
        {
            // Disposal started meanwhile and is waiting for this reader to come back.
            _pool.Return(reader);
            ThrowIfClosed();
        }

        return reader;
    }

    public void Return(ShardReader reader) => _pool.Return(reader);

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new StorageException(StorageErrorReason.Closed, $"The shard store '{_path}' is closed.") { FilePath = _path };
        }
    }

    /// <summary>Refuses new reads, waits for reads in flight to hand their connections back, then closes them.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _closed, 1);
        _pool.Dispose();
    }
}
