namespace Overlay.Transport;

/// <summary>A bound address accepting authenticated connections.</summary>
public interface ITransportListener : IAsyncDisposable
{
    /// <summary>The bound address with the actual port and this node's PeerId pinned.</summary>
    TransportAddress LocalAddress { get; }

    /// <summary>
    /// Waits for the next authenticated inbound connection. Connections are served by the handler
    /// whether or not anyone accepts them; accepting hands them to a pool. Throws
    /// <see cref="TransportException"/> (<see cref="TransportError.Closed"/>) once the listener is disposed.
    /// </summary>
    ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken = default);
}
