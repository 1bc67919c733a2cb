using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Transport;
using Overlay.Transport.Pooling;

namespace Overlay.Node.Hosting;

/// <summary>
/// The node's network presence: listens on the configured addresses, pools accepted connections,
/// and keeps a connection to the bootstrap peers, redialling with backoff on the injected clock.
/// </summary>
public sealed class TransportService(
    NodeIdentityHolder identity,
    IOptions<TransportOptions> options,
    ProtocolDispatcher protocols,
    TimeProvider time,
    ILogger<TransportService> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(1);

    private readonly List<ITransportListener> _listeners = [];
    private TransportSet? _transports;
    private ConnectionPool? _pool;

    /// <summary>The node's transports (TCP+TLS, and QUIC where available), once started; the DHT dials through <see cref="Pool"/>.</summary>
    public ITransport Transports => _transports ?? throw new InvalidOperationException("The transport has not started yet.");

    /// <summary>The node's one connection pool, shared by everything that talks to peers, once started.</summary>
    public ConnectionPool Pool => _pool ?? throw new InvalidOperationException("The transport has not started yet.");

    /// <summary>The addresses this node listens on, with the actual ports and its PeerId pinned.</summary>
    public IReadOnlyList<TransportAddress> LocalAddresses { get; private set; } = [];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        _transports = TransportSet.Create(identity.Identity, protocols, settings, time, logger);
        _pool = new ConnectionPool(_transports, settings, time, logger);
        var local = new List<TransportAddress>();
        foreach (var text in settings.ListenAddresses)
        {
            var listener = await _transports.ListenAsync(TransportAddress.Parse(text), cancellationToken).ConfigureAwait(false);
            _listeners.Add(listener);
            local.Add(listener.LocalAddress);
        }

        LocalAddresses = local;
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }

        if (_transports is not null)
        {
            await _transports.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync(ITransportListener listener, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connection = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
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
                    connection = await _pool!.GetAsync(address, stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    connection = await _transports!.DialAsync(address, stoppingToken).ConfigureAwait(false);
                    if (!_pool!.Adopt(connection))
                    {
                        // The pool already holds a connection to this peer (it dialled us first).
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = _pool.TryGet(connection.RemotePeer, out var pooled) ? pooled : connection;
                    }
                }

                Log.PeerConnected(logger, connection.RemotePeer, address, "bootstrap");
                delay = FirstRetry;
                await WaitAsync(connection.Closed, stoppingToken).ConfigureAwait(false);
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
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
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
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = closed.Register(() => done.TrySetResult()).ConfigureAwait(false);
        await using var b = stoppingToken.Register(() => done.TrySetResult()).ConfigureAwait(false);
        await done.Task.ConfigureAwait(false);
    }
}
