using System.Buffers;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;

namespace Overlay.Storage.InMemory;

/// <summary>
/// The shard store of the simulator and of tests: <see cref="IShardStore"/> and
/// <see cref="IShardStoreAdministration"/> with the SQLite store's semantics (the same conformance
/// suite passes on both), kept in this process's memory and lost when it is disposed. Every read
/// re-hashes the shard; the quota, the per-shard charge, owners' holds and limits, expiry, pins and
/// quarantine behave as in <see cref="SqliteShardStore"/>. Time comes only from the injected clock;
/// operations complete before they return, so a run on one thread is reproducible. Thread-safe: one
/// lock guards the index, and shards are hashed and copied outside it.
/// </summary>
/// <remarks>
/// Memory: each shard's bytes in an array of exactly its size, plus 135–185 bytes of index and
/// metadata (with the dictionary's spare capacity), plus 64 bytes per hold, plus about 2.9 KB per
/// store (measured with <c>storage-memory</c>; see docs/STORAGE.md).
/// </remarks>
public sealed partial class InMemoryShardStore : IShardStore, IShardStoreAdministration
{
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ShardStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _name;

    // Guards everything below. Held only for look-ups and updates, never while hashing or copying a payload.
    private readonly Lock _gate = new();
    private readonly Dictionary<ShardId, StoredShard> _shards = [];
    private readonly Dictionary<PeerId, OwnerUsage> _owners = [];
    private readonly Dictionary<ShardId, QuarantinedShard> _quarantine = [];
    private long _usedBytes;
    private bool _disposed;

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">Quota (<see cref="StorageOptions.CapacityBytes"/>), shard size limit and collector settings; the SQLite-only settings are ignored.</param>
    /// <param name="timeProvider">The clock for stored, verified and quarantine times; the system clock when null.</param>
    /// <param name="meterFactory">Creates the store's meter (<c>Overlay.Storage</c>, the SQLite store's instruments); a meter of its own when null.</param>
    /// <param name="logger">Receives the store's events (EventIds 3000–3099).</param>
    /// <param name="name">What messages and log lines call this store (e.g. the simulated node).</param>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="StorageOptionsValidator"/>).</exception>
    public InMemoryShardStore(StorageOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger? logger = null, string name = "in-memory shard store")
    {
        StorageOptionsValidator.ThrowIfInvalid(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _name = name;
        _metrics = new ShardStoreMetrics(meterFactory, GetUsage);
    }

    /// <summary>The store's meter (instruments named <c>overlay.storage.*</c>).</summary>
    public Meter Meter => _metrics.Meter;

    /// <inheritdoc/>
    public ValueTask<PutResult> PutAsync(ReadOnlyMemory<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default) =>
        PutAsync(new ReadOnlySequence<byte>(data), options, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<PutResult> PutAsync(ReadOnlySequence<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default)
    {
        // What the SQLite store refuses before queueing, this one throws here; the rest is reported through the task.
        options.Validate();
        ThrowIfTooLarge(data.Length);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PutResult>(cancellationToken);
        }

        // One segment is hashed where it lies and copied only if new; several are joined once.
        var joined = data.IsSingleSegment ? null : data.ToArray();
        var id = ShardId.Compute(joined ?? data.FirstSpan);
        if (options.ExpectedId is { } expected && expected != id)
        {
            CountPut("id_mismatch");
            throw new StorageException(StorageErrorReason.IdMismatch, $"Bytes that hash to {id} were offered as shard {expected} to the {_name}; nothing was written.");
        }

        try
        {
            return new ValueTask<PutResult>(Put(id, joined, data.FirstSpan, options));
        }
        catch (StorageException e)
        {
            return ValueTask.FromException<PutResult>(e);
        }
    }

    /// <inheritdoc/>
    public ValueTask<PutResult> PutAsync(Stream data, ShardPutOptions options = default, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return StreamedPut.PutAsync(this, data, _options.MaxShardBytes, ThrowIfTooLarge, options, cancellationToken);
    }

    /// <summary>Stores a hashed shard: <paramref name="joined"/> when the caller's bytes were joined, else <paramref name="bytes"/>, copied if new.</summary>
    private PutResult Put(in ShardId id, byte[]? joined, ReadOnlySpan<byte> bytes, ShardPutOptions options)
    {
        var size = joined?.Length ?? bytes.Length;
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_shards.ContainsKey(id))
            {
                return PutExisting(id, size, options);
            }
        }

        var data = joined ?? (bytes.IsEmpty ? [] : bytes.ToArray());
        var now = NowMilliseconds();
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_shards.ContainsKey(id))
            {
                return PutExisting(id, size, options);
            }

            // The owner's limit first, then the store's, as the SQLite writer checks them.
            if (options.Owner is { } owner)
            {
                ThrowIfOwnerQuotaExceeded(owner, size, options.OwnerCapacityBytes);
            }

            if (StorageUsage.Charge(_shards.Count + 1, _usedBytes + size) > _options.CapacityBytes)
            {
                CountPut("quota");
                throw new StorageException(
                    StorageErrorReason.QuotaExceeded,
                    $"Storing a shard of {size} bytes in the {_name} (charged {size + StorageUsage.ShardOverheadBytes}) would exceed the quota of {_options.CapacityBytes} bytes ({_shards.Count} shards, {_usedBytes} payload bytes, {StorageUsage.Charge(_shards.Count, _usedBytes)} charged); nothing was written.");
            }

            var expiresAt = StoredShard.ToMilliseconds(options.ExpiresAt);
            var shard = new StoredShard { Data = data, StoredAt = now, ExpiresAt = expiresAt, LastVerified = now, Pinned = options.Pinned };
            if (options.Owner is { } holder)
            {
                shard.AddHold(holder, expiresAt);
                ChangeOwner(holder, 1, size);
            }

            _shards.Add(id, shard);
            _usedBytes += size;
            CountPut("stored");
            return new PutResult(id, Stored: true);
        }
    }

    /// <summary>Under the lock: a put of content already stored merges expiry and pin, and adds or extends the owner's hold.</summary>
    private PutResult PutExisting(in ShardId id, int size, ShardPutOptions options)
    {
        ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
        var expiresAt = StoredShard.ToMilliseconds(options.ExpiresAt);
        var hold = -1;
        if (options.Owner is { } owner)
        {
            hold = shard.FindHold(owner);
            if (hold < 0)
            {
                ThrowIfOwnerQuotaExceeded(owner, size, options.OwnerCapacityBytes);
            }
        }

        shard.ExpiresAt = Math.Max(shard.ExpiresAt, expiresAt);
        shard.Pinned |= options.Pinned;
        if (options.Owner is { } holder)
        {
            if (hold < 0)
            {
                shard.AddHold(holder, expiresAt);
                ChangeOwner(holder, 1, size);
            }
            else if (shard.Holds![hold].ExpiresAt < expiresAt)
            {
                shard.Holds[hold] = shard.Holds[hold] with { ExpiresAt = expiresAt };
            }
        }

        CountPut("duplicate");
        return new PutResult(id, Stored: false);
    }

    private void ThrowIfOwnerQuotaExceeded(in PeerId owner, int size, long? limit)
    {
        if (limit is not { } capacity)
        {
            return;
        }

        var usage = _owners.GetValueOrDefault(owner);
        if (StorageUsage.Charge(usage.ShardCount + 1, usage.UsedBytes + size) > capacity)
        {
            CountPut("owner_quota");
            throw new StorageException(
                StorageErrorReason.OwnerQuotaExceeded,
                $"Holding a shard of {size} bytes for {owner} in the {_name} (charged {size + StorageUsage.ShardOverheadBytes}) would exceed that owner's limit of {capacity} bytes ({usage.ShardCount} shards, {usage.UsedBytes} payload bytes, {usage.ChargedBytes} charged); nothing was written.");
        }
    }

    /// <inheritdoc/>
    public bool Contains(in ShardId id)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return _shards.ContainsKey(id);
        }
    }

    /// <inheritdoc/>
    public bool TryGetInfo(in ShardId id, out ShardInfo info)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_shards.TryGetValue(id, out var shard))
            {
                info = shard.ToInfo(id);
                return true;
            }
        }

        info = default;
        return false;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ShardInfo> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The ids when the listing starts, sorted once; each page reads what is still stored of them.
        var ids = SortedIds();
        var page = new List<ShardInfo>(InMemoryPageSize);
        for (var start = 0; start < ids.Length; start += InMemoryPageSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            page.Clear();
            lock (_gate)
            {
                ThrowIfDisposed();
                for (var i = start; i < ids.Length && i < start + InMemoryPageSize; i++)
                {
                    if (_shards.TryGetValue(ids[i], out var shard))
                    {
                        page.Add(shard.ToInfo(ids[i]));
                    }
                }
            }

            foreach (var info in page)
            {
                yield return info;
            }

            if (start + InMemoryPageSize < ids.Length)
            {
                // Let other work in between pages, as the SQLite store does.
                await Task.Yield();
            }
        }
    }

    private const int InMemoryPageSize = 512;

    private ShardId[] SortedIds()
    {
        ShardId[] ids;
        lock (_gate)
        {
            ThrowIfDisposed();
            ids = [.. _shards.Keys];
        }

        Array.Sort(ids);
        return ids;
    }

    /// <inheritdoc/>
    public ValueTask<bool> RenewAsync(ShardId id, DateTimeOffset? expiresAt, PeerId? owner = null, CancellationToken cancellationToken = default) =>
        Completed(() => Renew(id, StoredShard.ToMilliseconds(expiresAt), owner), cancellationToken);

    private bool Renew(in ShardId id, long expiresAt, PeerId? owner)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
            if (Unsafe.IsNullRef(ref shard))
            {
                return false;
            }

            if (owner is { } holder)
            {
                var hold = shard.FindHold(holder);
                if (hold < 0)
                {
                    return false;
                }

                shard.Holds![hold] = shard.Holds[hold] with { ExpiresAt = Math.Max(shard.Holds[hold].ExpiresAt, expiresAt) };
            }

            shard.ExpiresAt = Math.Max(shard.ExpiresAt, expiresAt);
            return true;
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> SetPinnedAsync(ShardId id, bool pinned, CancellationToken cancellationToken = default) =>
        Completed(() => SetPinned(id, pinned), cancellationToken);

    private bool SetPinned(in ShardId id, bool pinned)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
            if (Unsafe.IsNullRef(ref shard))
            {
                return false;
            }

            shard.Pinned = pinned;
            return true;
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteAsync(ShardId id, CancellationToken cancellationToken = default) =>
        Completed(() => Delete(id), cancellationToken);

    private bool Delete(in ShardId id)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Remove(id);
        }
    }

    /// <summary>
    /// Runs a write now and hands back its result or failure in a completed task, as the SQLite store
    /// reports its queued writes' failures through their tasks, so callers that start several writes
    /// before awaiting them see the same thing from both.
    /// </summary>
    private static ValueTask<T> Completed<T>(Func<T> write, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        try
        {
            return new ValueTask<T>(write());
        }
        catch (Exception e) when (e is StorageException or ArgumentException)
        {
            return ValueTask.FromException<T>(e);
        }
    }

    /// <summary>Under the lock: removes a shard with its holds, giving back the store's and each owner's charge.</summary>
    private bool Remove(in ShardId id)
    {
        if (!_shards.Remove(id, out var shard))
        {
            return false;
        }

        _usedBytes -= shard.Data.Length;
        if (shard.Holds is { } holds)
        {
            foreach (var hold in holds)
            {
                ChangeOwner(hold.Owner, -1, -shard.Data.Length);
            }
        }

        return true;
    }

    /// <summary>Under the lock: adds to an owner's totals, forgetting an owner left with nothing.</summary>
    private void ChangeOwner(in PeerId owner, long shards, long bytes)
    {
        ref var usage = ref CollectionsMarshal.GetValueRefOrAddDefault(_owners, owner, out _);
        usage = new OwnerUsage(usage.ShardCount + shards, usage.UsedBytes + bytes);
        if (usage.ShardCount == 0)
        {
            _owners.Remove(owner);
        }
    }

    /// <inheritdoc/>
    public StorageUsage GetUsage()
    {
        lock (_gate)
        {
            return new StorageUsage(_shards.Count, _usedBytes, _options.CapacityBytes, FileBytes: 0);
        }
    }

    /// <inheritdoc/>
    public OwnerUsage GetOwnerUsage(in PeerId owner)
    {
        lock (_gate)
        {
            return _owners.GetValueOrDefault(owner);
        }
    }

    /// <summary>
    /// Fault injection for tests and the simulator: replaces a stored shard's bytes by a copy with the
    /// byte at <paramref name="offset"/> inverted, as a failing disk would leave them. The next read or
    /// scrub finds the damage, quarantines the shard and serves nothing of it.
    /// </summary>
    /// <returns>False when no shard with this id is stored.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is not inside the shard.</exception>
    public bool Corrupt(in ShardId id, int offset)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
            if (Unsafe.IsNullRef(ref shard))
            {
                return false;
            }

            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(offset, shard.Data.Length);
            var damaged = (byte[])shard.Data.Clone();
            damaged[offset] ^= 0xFF;
            shard.Data = damaged;
            return true;
        }
    }

    private long NowMilliseconds() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void CountPut(string result) => _metrics.Puts.Add(1, new KeyValuePair<string, object?>("result", result));

    private void ThrowIfTooLarge(long length)
    {
        if (length > _options.MaxShardBytes)
        {
            CountPut("too_large");
            throw new StorageException(StorageErrorReason.ShardTooLarge, $"A shard of {length} bytes or more exceeds the {_options.MaxShardBytes}-byte limit of the {_name}; nothing was written.");
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed))
        {
            throw new StorageException(StorageErrorReason.Closed, $"The {_name} is closed.");
        }
    }

    /// <summary>Drops every shard (the memory goes back to the runtime); later operations fail with Closed.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            _shards.Clear();
            _shards.TrimExcess();
            _owners.Clear();
            _quarantine.Clear();
            _usedBytes = 0;
        }

        _metrics.Dispose();
        return ValueTask.CompletedTask;
    }
}
