using System.Buffers;
using Overlay.Transport;

namespace Overlay.Node.Tests.Shards;

/// <summary>A holder that, once <see cref="Silent"/>, takes every stream and never answers it.</summary>
internal sealed class SilentHolder(IProtocolHandler real) : IProtocolHandler
{
    public bool Silent { get; set; }

    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken) =>
        real.HandleRequestAsync(connection, request, response, cancellationToken);

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        real.HandleMessageAsync(connection, message, cancellationToken);

    public async ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken)
    {
        if (!Silent)
        {
            await real.HandleStreamAsync(connection, stream, cancellationToken);
            return;
        }

        // Silent until the connection goes; the asker's own timeout is what ends its wait.
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
