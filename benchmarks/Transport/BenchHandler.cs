using System.Buffers;
using Overlay.Transport;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// Echoes requests (or answers <see cref="ResponseBytes"/> bytes), counts messages, and on streams reads
/// to the end and answers the byte count.
/// </summary>
public sealed class BenchHandler : IProtocolHandler
{
    private long _messages;
    private TaskCompletionSource? _target;
    private long _targetCount;

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>When above 0, every request is answered with this many bytes instead of an echo.</summary>
    public int ResponseBytes { get; set; }

    /// <summary>Completes once <paramref name="count"/> messages have arrived in total.</summary>
    public Task WaitForMessagesAsync(long count)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _targetCount, count);
        Volatile.Write(ref _target, tcs);
        if (Interlocked.Read(ref _messages) >= count)
        {
            tcs.TrySetResult();
        }

        return tcs.Task;
    }

    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        if (ResponseBytes > 0)
        {
            response.GetSpan(ResponseBytes)[..ResponseBytes].Clear();
            response.Advance(ResponseBytes);
        }
        else
        {
            response.Write(request.Span);
        }

        return default;
    }

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _messages) >= Volatile.Read(ref _targetCount))
        {
            Volatile.Read(ref _target)?.TrySetResult();
        }

        return default;
    }

    public async ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += n;
            }

            // A control stream is a request sent as a stream of its own: it gets the request's answer.
            if (stream.Protocol.Class == TrafficClass.Control && ResponseBytes > 0)
            {
                buffer.AsSpan(0, ResponseBytes).Clear();
                await stream.WriteAsync(buffer.AsMemory(0, ResponseBytes), cancellationToken);
            }
            else
            {
                await stream.WriteAsync(BitConverter.GetBytes(total), cancellationToken);
            }

            await stream.CompleteWritesAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
