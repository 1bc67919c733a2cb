using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Composition;
using Overlay.Transport;
using Overlay.Transport.Pooling;

namespace Overlay.Node.Hosting;

/// <summary>
/// The node's network presence: listens on the configured addresses, pools accepted connections,
/// and keeps a connection to the bootstrap peers, redialling with backoff on the injected clock. The
/// transport itself comes from outside (<c>createTransport</c>): TCP+TLS and QUIC in the daemon, the
/// in-memory network in the simulator.
/// </summary>
public sealed class TransportService(
    IOptions<TransportOptions> options,
    IInboundHandler handler,
    Func<IInboundHandler, ITransport> createTransport,
    TimeProvider time,
    ILogger<TransportService> logger) : INodePart, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(1);

    private readonly List<ITransportListener> _listeners = [];
    private ITransport? _transports;
    private ConnectionPool? _pool;

    /// <summary>The node's transports (TCP+TLS, and QUIC where available), once started; the DHT dials through <see cref="Pool"/>.</summary>
    public ITransport Transports => _transports ?? throw new InvalidOperationException("The transport has not started yet.");

    /// <summary>The node's one connection pool, shared by everything that talks to peers, once started.</summary>
    public ConnectionPool Pool => _pool ?? throw new InvalidOperationException("The transport has not started yet.");

    /// <summary>The addresses this node listens on, with the actual ports and its PeerId pinned.</summary>
    public IReadOnlyList<TransportAddress> LocalAddresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        _transports = createTransport(handler);
        _pool = new ConnectionPool(_transports, settings, time, logger);
        var local = new List<TransportAddress>();
        foreach (var text in settings.ListenAddresses)
        {
            var listener = await _transports.ListenAsync(TransportAddress.Parse(text), cancellationToken).ConfigureAwait(true);
            _listeners.Add(listener);
            local.Add(listener.LocalAddress);
        }

        LocalAddresses = local;
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        foreach (var listener in _listeners)
        {
            loops.Add(AcceptLoopAsync(listener, stoppingToken));
        }

        foreach (var text in options.Value.BootstrapPeers)
        {
            loops.Add(BootstrapLoopAsync(TransportAddress.Parse(text), stoppingToken));
        }

        await Task.WhenAll(loops).ConfigureAwait(true);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(true);

    /// <summary>Closes the listeners, the pool and the transport (what <see cref="StopAsync"/> does).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(true);
        }

        _listeners.Clear();
        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(true);
            _pool = null;
        }

        if (_transports is not null)
        {
            await _transports.DisposeAsync().ConfigureAwait(true);
            _transports = null;
        }
    }

    private async Task AcceptLoopAsync(ITransportListener listener, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connection = await listener.AcceptAsync(stoppingToken).ConfigureAwait(true);
                if (_pool!.Adopt(connection))
                {
                    Log.PeerConnected(logger, connection.RemotePeer, connection.RemoteAddress, "inbound");
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (TransportException e) when (e.Reason == TransportError.Closed)
            {
                return;
            }
            catch (TransportException e)
            {
                // One peer's failed handshake must not stop the node accepting others.
                Log.AcceptFailed(logger, e.Reason, e.Message);
            }
        }
    }

    private async Task BootstrapLoopAsync(TransportAddress address, CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                ITransportConnection connection;
                if (address.ExpectedPeer is not null)
                {
                    // Through the pool: a connection the DHT (or the peer) already opened is reused, and
                    // concurrent dials to one peer share one handshake instead of racing to a duplicate
                    // that one side would close under the other's first request.
                    connection = await _pool!.GetAsync(address, stoppingToken).ConfigureAwait(true);
                }
                else
                {
                    connection = await _transports!.DialAsync(address, stoppingToken).ConfigureAwait(true);
                    if (!_pool!.Adopt(connection))
                    {
                        // The pool already holds a connection to this peer (it dialled us first).
                        await connection.DisposeAsync().ConfigureAwait(true);
                        connection = _pool.TryGet(connection.RemotePeer, out var pooled) ? pooled : connection;
                    }
                }

                Log.PeerConnected(logger, connection.RemotePeer, address, "bootstrap");
                delay = FirstRetry;
                await WaitAsync(connection.Closed, stoppingToken).ConfigureAwait(true);
                continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (TransportException e)
            {
                Log.BootstrapFailed(logger, address, e.Message, delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(true);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetry.Ticks));
        }
    }

    private static async Task WaitAsync(CancellationToken closed, CancellationToken stoppingToken)
    {
        // Continuations run where the token fires, not on the thread pool: in the simulator that is the one
        // deterministic scheduler, which RunContinuationsAsynchronously with ConfigureAwait(true) would escape.
        var done = new TaskCompletionSource();
        await using var a = closed.Register(() => done.TrySetResult()).ConfigureAwait(true);
        await using var b = stoppingToken.Register(() => done.TrySetResult()).ConfigureAwait(true);
        await done.Task.ConfigureAwait(true);
    }
}
