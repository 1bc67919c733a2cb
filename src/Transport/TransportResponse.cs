using System.Buffers;

namespace Overlay.Transport;

/// <summary>A response payload in a pooled buffer; dispose it to return the buffer.</summary>
public sealed class TransportResponse : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal TransportResponse(ReadOnlySequence<byte> payload)
    {
        _length = checked((int)payload.Length);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_length, 1));
        payload.CopyTo(_buffer);
    }

    /// <summary>The response bytes; invalid after <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Payload
        => _buffer is { } b ? b.AsMemory(0, _length) : throw new ObjectDisposedException(nameof(TransportResponse));

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b is not null)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
