using System.Buffers;

namespace Overlay.Crypto;

/// <summary>
/// Streams data of any length through BLAKE3 in constant memory: two pooled buffers, one filled by the
/// stream while the other is hashed, so reading and hashing overlap.
/// </summary>
public static class Blake3File
{
    /// <summary>Bytes per read: large enough that each update runs the many-chunk path at full width.</summary>
    public const int BufferSize = 1 << 20;

    /// <summary>Hashes everything left in <paramref name="stream"/> (default mode) into <paramref name="output"/> (any length).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task HashAsync(Stream stream, Memory<byte> output, CancellationToken cancellationToken)
    {
        var hasher = Blake3Hasher.Create();
        await UpdateAsync(hasher, stream, cancellationToken).ConfigureAwait(false);
        hasher.Finalize(output.Span);
    }

    /// <summary>
    /// Feeds everything left in <paramref name="stream"/> to <paramref name="hasher"/> (any mode); the caller
    /// finalizes. The stream is read to its end and not disposed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task UpdateAsync(Blake3Hasher hasher, Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        ArgumentNullException.ThrowIfNull(stream);
        var current = ArrayPool<byte>.Shared.Rent(BufferSize);
        var next = ArrayPool<byte>.Shared.Rent(BufferSize);
        var pending = default(ValueTask<int>);
        var reading = false;
        try
        {
            var filled = await stream.ReadAsync(current.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false);
            while (filled > 0)
            {
                pending = stream.ReadAsync(next.AsMemory(0, BufferSize), cancellationToken);
                reading = true;
                hasher.Update(current.AsSpan(0, filled));
                filled = await pending.ConfigureAwait(false);
                reading = false;
                (current, next) = (next, current);
            }
        }
        finally
        {
            // A read still in flight (only if hashing threw) may write into its buffer: never pool it.
            if (!reading)
            {
                ArrayPool<byte>.Shared.Return(next);
            }

            ArrayPool<byte>.Shared.Return(current);
        }
    }
}
