using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Storage.InMemory;

// Reads of the in-memory store: every one hashes the whole shard first; damage is quarantined, never served.
public sealed partial class InMemoryShardStore
{
    /// <inheritdoc/>
    public ShardReadResult Read(in ShardId id, Span<byte> destination)
    {
        var status = ReadVerified(id, destination.Length, out var data);
        if (status == ShardReadStatus.DestinationTooSmall)
        {
            return new ShardReadResult(status, data.Length);
        }

        if (status != ShardReadStatus.Found)
        {
            return new ShardReadResult(status, 0);
        }

        data.CopyTo(destination);
        return new ShardReadResult(ShardReadStatus.Found, data.Length);
    }

    /// <inheritdoc/>
    public ShardReadResult Read(in ShardId id, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var status = ReadVerified(id, int.MaxValue, out var data);
        if (status != ShardReadStatus.Found)
        {
            return new ShardReadResult(status, 0);
        }

        data.CopyTo(destination.GetSpan(data.Length));
        destination.Advance(data.Length);
        return new ShardReadResult(ShardReadStatus.Found, data.Length);
    }

    /// <inheritdoc/>
    public async ValueTask<ShardReadResult> ReadAsync(ShardId id, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var status = ReadVerified(id, int.MaxValue, out var data);
        if (status != ShardReadStatus.Found)
        {
            return new ShardReadResult(status, 0);
        }

        // The array is never written once stored, so it is handed to the stream as it is.
        await destination.WriteAsync(data, cancellationToken);
        return new ShardReadResult(ShardReadStatus.Found, data.Length);
    }

    /// <inheritdoc/>
    public ShardReadResult ReadRange(in ShardId id, long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var status = ReadVerified(id, int.MaxValue, out var data);
        if (status != ShardReadStatus.Found)
        {
            return new ShardReadResult(status, 0);
        }

        if (offset > data.Length)
        {
            return new ShardReadResult(ShardReadStatus.OffsetBeyondEnd, data.Length);
        }

        var count = (int)Math.Min(destination.Length, data.Length - offset);
        data.AsSpan((int)offset, count).CopyTo(destination);
        return new ShardReadResult(ShardReadStatus.Found, count);
    }

    /// <summary>
    /// Finds a shard and, when it fits in <paramref name="capacity"/> bytes, hashes it; a mismatch is
    /// counted and quarantined, and its bytes are never returned. Too large: DestinationTooSmall with
    /// the bytes unhashed, as the SQLite store answers before reading.
    /// </summary>
    private ShardReadStatus ReadVerified(in ShardId id, int capacity, out byte[] data)
    {
        long lastVerified;
        lock (_gate)
        {
            ThrowIfDisposed();
            ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
            if (Unsafe.IsNullRef(ref shard))
            {
                data = [];
                return ShardReadStatus.NotFound;
            }

            data = shard.Data;
            lastVerified = shard.LastVerified;
        }

        if (data.Length > capacity)
        {
            return ShardReadStatus.DestinationTooSmall;
        }

        if (ShardId.Compute(data) != id)
        {
            Quarantine(id, data, "read");
            data = [];
            return ShardReadStatus.Corrupted;
        }

        var now = NowMilliseconds();
        if (now - lastVerified >= ShardInfo.VerifiedRecordIntervalMilliseconds)
        {
            RecordVerified(id, data, now);
        }

        return ShardReadStatus.Found;
    }

    private void RecordVerified(in ShardId id, byte[] verified, long now)
    {
        lock (_gate)
        {
            ref var shard = ref CollectionsMarshal.GetValueRefOrNullRef(_shards, id);
            // Only for the bytes that were hashed: the shard may have been deleted and stored again meanwhile.
            if (!Unsafe.IsNullRef(ref shard) && ReferenceEquals(shard.Data, verified) && shard.LastVerified < now)
            {
                shard.LastVerified = now;
            }
        }
    }

    /// <summary>Takes a shard whose bytes failed their hash out of service, if those bytes are still the ones stored.</summary>
    private void Quarantine(in ShardId id, byte[] damaged, string source)
    {
        _metrics.Corrupted.Add(1, new KeyValuePair<string, object?>("reason", "hash_mismatch"), new KeyValuePair<string, object?>("source", source));
        Log.Corrupted(_logger, id, _name, "hash_mismatch", source);
        lock (_gate)
        {
            if (_shards.TryGetValue(id, out var shard) && ReferenceEquals(shard.Data, damaged))
            {
                Remove(id);
                _quarantine[id] = new QuarantinedShard(id, damaged.Length, DateTimeOffset.FromUnixTimeMilliseconds(NowMilliseconds()), "hash_mismatch");
            }
        }
    }
}
