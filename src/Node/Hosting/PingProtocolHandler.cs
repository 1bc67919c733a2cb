using System.Buffers;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// The inbound side of <c>ping/1</c> (<see cref="ProtocolIds.Ping"/>), the liveness probe behind
/// <c>overlay ping</c>: every request is answered with an empty response at once. It carries no
/// messages or streams; a stream opened for it is closed unread (the opener sees it reset).
/// </summary>
public sealed class PingProtocolHandler : IProtocolHandler
{
    /// <inheritdoc/>
    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
