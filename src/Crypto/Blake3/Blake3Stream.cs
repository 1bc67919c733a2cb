using System.Buffers;

namespace Overlay.Crypto;

/// <summary>BLAKE3 over a stream of any length in constant memory.</summary>
public static class Blake3Stream
{
    /// <summary>Read size: large enough for the many-chunk SIMD path, small enough to stay in cache.</summary>
    public const int ReadSize = 256 * 1024;

    /// <summary>Hashes the rest of <paramref name="stream"/> into all of <paramref name="output"/>.</summary>
    public static async Task HashAsync(Stream stream, Memory<byte> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var hasher = Blake3Hasher.Create();
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, ReadSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hasher.Update(buffer.AsSpan(0, read));
            }

            hasher.Finalize(output.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
