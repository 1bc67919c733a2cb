using Overlay.Crypto;
using Overlay.Transport;
using Overlay.Transport.Pooling;

namespace Overlay.Dht.Wire;

/// <summary>
/// <see cref="IDhtNetwork"/> over a transport and its <see cref="ConnectionPool"/>: requests go through
/// <see cref="TransportDhtRpc"/>, dialled through the pool. Either the node owns both (built by
/// <see cref="Create"/>, disposed with the node) or its host does (shared by every protocol of a process,
/// left open).
/// </summary>
public sealed class PooledDhtNetwork : IDhtNetwork
{
    private readonly ConnectionPool _pool;
    private readonly bool _ownsTransport;

    /// <summary>A network over the host's <paramref name="transport"/> and <paramref name="pool"/>, which the host keeps and disposes.</summary>
    public PooledDhtNetwork(ITransport transport, ConnectionPool pool)
        : this(transport, pool, ownsTransport: false)
    {
    }

    private PooledDhtNetwork(ITransport transport, ConnectionPool pool, bool ownsTransport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(pool);
        Transport = transport;
        _pool = pool;
        _ownsTransport = ownsTransport;
    }

    /// <inheritdoc/>
    public ITransport Transport { get; }

    /// <inheritdoc/>
    public int ConnectionCount => _pool.Count;

    /// <summary>A network the node owns: the transport <paramref name="createTransport"/> builds around <paramref name="protocols"/>, and a pool over it.</summary>
    public static PooledDhtNetwork Create(Func<ProtocolDispatcher, ITransport> createTransport, ProtocolDispatcher protocols, TransportOptions? transportOptions, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(createTransport);
        var transport = createTransport(protocols);
        return new PooledDhtNetwork(transport, new ConnectionPool(transport, transportOptions ?? new TransportOptions(), time), ownsTransport: true);
    }

    /// <inheritdoc/>
    public bool KeepOpen(PeerId peer) => _pool.Keep(peer);

    /// <inheritdoc/>
    public IDhtRpc CreateRpc(DhtRpcContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new TransportDhtRpc(_pool, context.Options, context.Time, context.Validator, context.Metrics, context.LocalAddress, context.OnAnswer, context.Interactions);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_ownsTransport)
        {
            await _pool.DisposeAsync();
            await Transport.DisposeAsync();
        }
    }
}
