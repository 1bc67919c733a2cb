using Overlay.Crypto;
using Overlay.Transport;

namespace Overlay.Dht;

/// <summary>
/// The network a <see cref="DhtNode"/> runs on: the transport it listens with, and the <see cref="IDhtRpc"/>
/// its requests go through. The node depends on this and on the transport contract only; how requests are
/// dialled and pooled is the implementation's business (<see cref="Wire.PooledDhtNetwork"/> over the
/// transport's connection pool). Disposing it releases what it owns and nothing its host owns.
/// </summary>
public interface IDhtNetwork : IAsyncDisposable
{
    /// <summary>The transport the node listens with.</summary>
    ITransport Transport { get; }

    /// <summary>Connections held open for requests (memory accounting).</summary>
    int ConnectionCount { get; }

    /// <summary>
    /// Marks the open connection to <paramref name="peer"/>, if any, as used now, so the pool's idle sweep
    /// keeps it (<see cref="DhtOptions.WarmConnections"/>); returns false when none is open. Sends nothing.
    /// </summary>
    bool KeepOpen(PeerId peer);

    /// <summary>Builds the client side of <c>dht/1</c> for the node that describes itself in <paramref name="context"/>.</summary>
    IDhtRpc CreateRpc(DhtRpcContext context);
}
