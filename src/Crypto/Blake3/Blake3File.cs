using System.Buffers;

namespace Overlay.Crypto;

/// <summary>
/// Streams data of any length through BLAKE3 in constant memory: two pooled buffers, one filled by the
/// stream while the other is hashed, so reading and hashing overlap.
/// </summary>
public static class Blake3File
{
    /// <summary>Bytes per read: large enough that each update hashes many chunks side by side.</summary>
    public const int BufferSize = 1 << 20;

    /// <summary>
    /// Hashes everything left in <paramref name="stream"/> into <paramref name="output"/> (any length). The
    /// stream is read to its end and not disposed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task HashAsync(Stream stream, Memory<byte> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var hasher = Blake3Hasher.Create();
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

        hasher.Finalize(output.Span);
    }
}
