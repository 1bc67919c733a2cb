using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Overlay.Storage.Sqlite;

namespace Overlay.Storage;

// The administration of the SQLite store (IShardStoreAdministration): collection, scrub, quarantine listing.
public sealed partial class SqliteShardStore
{
    private const int QuarantinePageSize = 512;

    /// <inheritdoc/>
    public async ValueTask<ExpirySweep> CollectExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ThrowIfDisposed();
        var operation = new CollectOperation { NowUnixMilliseconds = now.ToUnixTimeMilliseconds(), BatchSize = batchSize, CancellationToken = cancellationToken };
        await _writer.EnqueueAsync(operation, cancellationToken);
        var sweep = await operation.Task;
        _metrics.CountSweep(sweep);
        if (sweep.Total > 0)
        {
            Log.Collected(_logger, sweep.ShardsDeleted, sweep.HoldsReleased, _path);
        }

        return sweep;
    }

    /// <inheritdoc/>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var operation = new BarrierOperation { CancellationToken = cancellationToken };
        await _writer.EnqueueAsync(operation, cancellationToken);
        await operation.Task;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<QuarantinedShard> EnumerateQuarantineAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var page = new List<QuarantinedShard>(QuarantinePageSize);
        ShardId? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReadQuarantinePage(after, page);
            foreach (var entry in page)
            {
                yield return entry;
            }

            if (page.Count < QuarantinePageSize)
            {
                yield break;
            }

            after = page[^1].Id;
            await Task.Yield();
        }
    }

    private void ReadQuarantinePage(ShardId? after, List<QuarantinedShard> page)
    {
        page.Clear();
        var reader = _reads.Rent();
        try
        {
            using var command = reader.Connection.CreateCommand();
            command.CommandText = after is null
                ? "SELECT id, size, detected_at, reason FROM quarantine ORDER BY id LIMIT $n"
                : "SELECT id, size, detected_at, reason FROM quarantine WHERE id > $after ORDER BY id LIMIT $n";
            command.Parameters.AddWithValue("$n", QuarantinePageSize);
            if (after is { } last)
            {
                command.Parameters.AddWithValue("$after", last.ToArray());
            }

            using var rows = command.ExecuteReader();
            while (rows.Read())
            {
                page.Add(new QuarantinedShard(
                    Native.IdFrom(rows.GetValue(0) as byte[] ?? []),
                    rows.IsDBNull(1) ? null : rows.GetInt32(1),
                    DateTimeOffset.FromUnixTimeMilliseconds(rows.GetInt64(2)),
                    rows.GetString(3)));
            }
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "listing quarantined shards");
        }
        finally
        {
            _reads.Return(reader);
        }
    }

    /// <inheritdoc/>
    public async Task<VerifyReport> VerifyAllAsync(IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var started = Stopwatch.GetTimestamp();
        var total = _writer.ShardCount;
        var corrupted = new List<ShardId>();
        var unreadableIds = new List<ShardId>();
        var pages = new List<string>();
        long checkedCount = 0, ok = 0;
        var page = new List<(ShardInfo Info, long DataId)>(EnumeratePageSize);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_options.MaxShardBytes, 1));
        try
        {
            var cursor = new ShardPageCursor(_recent);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    ReadPage(cursor, page);
                }
                catch (StorageException e) when (e.Reason is StorageErrorReason.Corrupted or StorageErrorReason.NotADatabase)
                {
                    // The metadata index itself is damaged past this point; quick_check below names the pages.
                    pages.Add(e.Message);
                    break;
                }

                foreach (var (info, dataId) in page)
                {
                    if (buffer.Length < info.Size)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(info.Size);
                    }

                    var status = VerifyOne(info.Id, dataId, info.Size, buffer, out var unreadable);
                    checkedCount++;
                    if (status == ShardReadStatus.Found)
                    {
                        ok++;
                    }
                    else
                    {
                        (unreadable ? unreadableIds : corrupted).Add(info.Id);
                    }
                }

                progress?.Report(new VerifyProgress(checkedCount, total, corrupted.Count + unreadableIds.Count));
                if (page.Count < EnumeratePageSize)
                {
                    break;
                }

                await Task.Yield();
            }

            QuickCheck(pages);
            await FlushAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Log.Scrubbed(_logger, _path, checkedCount, ok, corrupted.Count, unreadableIds.Count, pages.Count);
        return new VerifyReport
        {
            Checked = checkedCount,
            Ok = ok,
            CorruptedIds = corrupted,
            UnreadableIds = unreadableIds,
            UnreadablePages = pages,
            Elapsed = Stopwatch.GetElapsedTime(started),
        };
    }

    private ShardReadStatus VerifyOne(in ShardId id, long dataId, int size, byte[] buffer, out bool unreadable)
    {
        var reader = _reads.Rent();
        try
        {
            var status = reader.ReadVerified(id, dataId, buffer.AsSpan(0, size), out unreadable);
            _reads.Finish(id, status, unreadable, size, lastVerified: 0, "scrub");
            return status;
        }
        finally
        {
            _reads.Return(reader);
        }
    }

    private void QuickCheck(List<string> pages)
    {
        var reader = _reads.Rent();
        try
        {
            using var command = reader.Connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check(100)";
            using var rows = command.ExecuteReader();
            while (rows.Read())
            {
                var line = rows.GetString(0);
                if (line != "ok")
                {
                    pages.Add(line);
                }
            }
        }
        catch (SqliteException e)
        {
            pages.Add(e.Message);
        }
        finally
        {
            _reads.Return(reader);
        }
    }
}
