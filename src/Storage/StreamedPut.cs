using System.Buffers;

namespace Overlay.Storage;

/// <summary>A put from a stream, the same for every store: the bytes are gathered into one pooled buffer, then put.</summary>
internal static class StreamedPut
{
    private const int ReadChunk = 64 * 1024;

    /// <summary>
    /// Reads <paramref name="data"/> to its end into a buffer of <paramref name="maxShardBytes"/> + 1
    /// bytes (the extra byte tells an oversized shard), calling <paramref name="throwIfTooLarge"/> with
    /// the length read so far after each read, then puts the bytes through <paramref name="store"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null (thrown before anything is read).</exception>
    /// <exception cref="ArgumentException">The options are invalid (thrown before anything is read).</exception>
    public static ValueTask<PutResult> PutAsync(IShardStore store, Stream data, int maxShardBytes, Action<long> throwIfTooLarge, ShardPutOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        return ReadAndPutAsync(store, data, maxShardBytes, throwIfTooLarge, options, cancellationToken);
    }

    private static async ValueTask<PutResult> ReadAndPutAsync(IShardStore store, Stream data, int maxShardBytes, Action<long> throwIfTooLarge, ShardPutOptions options, CancellationToken cancellationToken)
    {
        // One buffer (the shard itself) is held until the put completed.
        var buffer = ArrayPool<byte>.Shared.Rent(maxShardBytes + 1);
        try
        {
            var length = 0;
            while (true)
            {
                var read = await data.ReadAsync(buffer.AsMemory(length, Math.Min(ReadChunk, buffer.Length - length)), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                throwIfTooLarge(length);
            }

            return await store.PutAsync(new ReadOnlySequence<byte>(buffer, 0, length), options, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
