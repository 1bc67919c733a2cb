using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.Crypto;

namespace Overlay.Storage.InMemory;

// The administration of the in-memory store (IShardStoreAdministration): collection, scrub, quarantine listing.
public sealed partial class InMemoryShardStore
{
    /// <inheritdoc/>
    public ValueTask<ExpirySweep> CollectExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken = default) =>
        Completed(() => CollectExpired(now.ToUnixTimeMilliseconds(), batchSize), cancellationToken);

    private ExpirySweep CollectExpired(long at, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ExpirySweep sweep;
        lock (_gate)
        {
            ThrowIfDisposed();
            // Soonest first, as the SQLite store takes them from its expiry index; ties by id, so a run is reproducible.
            var expired = new List<(long ExpiresAt, ShardId Id)>();
            foreach (var (id, shard) in _shards)
            {
                if (!shard.Pinned && shard.ExpiresAt <= at)
                {
                    expired.Add((shard.ExpiresAt, id));
                }
            }

            expired.Sort();
            var taken = Math.Min(expired.Count, batchSize);
            var deleted = 0;
            for (var i = 0; i < taken; i++)
            {
                if (Remove(expired[i].Id))
                {
                    deleted++;
                }
            }

            // The shards' own holds went with them; what expired of the rest is released with what is left of the batch.
            sweep = new ExpirySweep(deleted, taken < batchSize ? ReleaseExpiredHolds(at, batchSize - taken) : 0);
        }

        _metrics.CountSweep(sweep);
        if (sweep.Total > 0)
        {
            Log.Collected(_logger, sweep.ShardsDeleted, sweep.HoldsReleased, _name);
        }

        return sweep;
    }

    /// <summary>Under the lock: releases up to <paramref name="limit"/> expired holds of shards that stay, soonest first.</summary>
    private int ReleaseExpiredHolds(long at, int limit)
    {
        var expired = new List<(long ExpiresAt, ShardId Id, PeerId Owner)>();
        foreach (var (id, shard) in _shards)
        {
            if (shard.Holds is { } holds)
            {
                foreach (var hold in holds)
                {
                    if (hold.ExpiresAt <= at)
                    {
                        expired.Add((hold.ExpiresAt, id, hold.Owner));
                    }
                }
            }
        }

        expired.Sort();
        var released = Math.Min(limit, expired.Count);
        for (var i = 0; i < released; i++)
        {
            var (_, id, owner) = expired[i];
            ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
            var holds = shard.Holds!;
            var index = shard.FindHold(owner);
            shard.Holds = holds.Length == 1 ? null : [.. holds[..index], .. holds[(index + 1)..]];
            ChangeOwner(owner, -1, -shard.Data.Length);
        }

        return released;
    }

    /// <inheritdoc/>
    public async Task<VerifyReport> VerifyAllAsync(IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        var ids = SortedIds();
        var corrupted = new List<ShardId>();
        long checkedCount = 0, ok = 0;
        for (var start = 0; start < ids.Length; start += InMemoryPageSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var i = start; i < ids.Length && i < start + InMemoryPageSize; i++)
            {
                byte[] data;
                lock (_gate)
                {
                    ThrowIfDisposed();
                    if (!_shards.TryGetValue(ids[i], out var shard))
                    {
                        // Deleted since the scrub started.
                        continue;
                    }

                    data = shard.Data;
                }

                checkedCount++;
                if (ShardId.Compute(data) == ids[i])
                {
                    ok++;
                    RecordVerified(ids[i], data, NowMilliseconds());
                }
                else
                {
                    Quarantine(ids[i], data, "scrub");
                    corrupted.Add(ids[i]);
                }
            }

            progress?.Report(new VerifyProgress(checkedCount, ids.Length, corrupted.Count));
            if (start + InMemoryPageSize < ids.Length)
            {
                await Task.Yield();
            }
        }

        Log.Scrubbed(_logger, _name, checkedCount, ok, corrupted.Count, 0, 0);
        return new VerifyReport
        {
            Checked = checkedCount,
            Ok = ok,
            CorruptedIds = corrupted,
            UnreadableIds = [],
            UnreadablePages = [],
            Elapsed = _time.GetElapsedTime(started),
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<QuarantinedShard> EnumerateQuarantineAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        QuarantinedShard[] entries;
        lock (_gate)
        {
            ThrowIfDisposed();
            entries = [.. _quarantine.Values];
        }

        Array.Sort(entries, static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        // Every write completed before it returned; only a closed store refuses, as the SQLite one does.
        Completed(IsOpen, cancellationToken).AsTask();

    private bool IsOpen()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return true;
        }
    }
}
