using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Composition;
using Overlay.Transport;
using Overlay.Transport.Pooling;

namespace Overlay.Node.Hosting;

/// <summary>
/// The node's network presence: listens on the configured addresses, pools accepted connections,
/// and dials each bootstrap peer, with backoff on the injected clock, until it has reached it once.
/// The connection is not held after that: every node of a network bootstraps through the same few
/// peers, and a bootstrap peer holding one connection per node would reach its connection limit and
/// then evict one node's connection for another's redial, without end. After the first contact the
/// DHT keeps the node in the network through its contacts (a contact that stops answering stays in the
/// table until a replacement is known, so the table never empties and refreshes reach the peers again
/// when they return).
/// A bootstrap address without a PeerId is dialled unpinned once and then held to the identity it
/// proved (<see cref="BootstrapSeeds"/>). The transport itself comes from outside (<c>createTransport</c>,
/// given the node's protocols): TCP+TLS and QUIC in the daemon, the in-memory network in the simulator.
/// </summary>
public sealed class TransportService(
    IOptions<TransportOptions> options,
    ProtocolDispatcher protocols,
    BootstrapSeeds seeds,
    Func<ProtocolDispatcher, ITransport> createTransport,
    TimeProvider time,
    ILogger<TransportService> logger) : INodePart, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(1);

    private readonly List<ITransportListener> _listeners = [];
    private readonly Dictionary<string, Task<TransportAddress>> _firstDials = new(StringComparer.Ordinal);
    private readonly HashSet<string> _identityChangeReported = new(StringComparer.Ordinal);
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
        _transports = createTransport(protocols);
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

        foreach (var address in seeds.Configured)
        {
            loops.Add(ReachBootstrapAsync(address, stoppingToken));
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

    /// <summary>
    /// The address to reach the configured bootstrap <paramref name="configured"/> at, with the identity it
    /// must prove: as configured when it pins one; else the one it proved on first contact. A first
    /// contact dials it unpinned (one dial shared by every caller), pools the connection and remembers
    /// the identity. Throws <see cref="TransportException"/> when that dial fails.
    /// </summary>
    public async Task<TransportAddress> ResolveBootstrapAsync(TransportAddress configured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configured);
        await seeds.WaitRestoredAsync(cancellationToken).ConfigureAwait(true);
        if (seeds.PinnedAddress(configured) is { } pinned)
        {
            return pinned;
        }

        Task<TransportAddress> dial;
        var key = configured.ToString();
        lock (_firstDials)
        {
            if (!_firstDials.TryGetValue(key, out dial!) || dial.IsFaulted)
            {
                dial = FirstContactAsync(configured);
                _firstDials[key] = dial;
            }
        }

        // Bounded by the handshake timeout; not cancelled with one caller, since others may share it.
        return await dial.ConfigureAwait(true);
    }

    private async Task<TransportAddress> FirstContactAsync(TransportAddress configured)
    {
        var connection = await _transports!.DialAsync(configured, CancellationToken.None).ConfigureAwait(true);
        if (!_pool!.Adopt(connection))
        {
            // The pool already holds a connection to this peer (it dialled us first); Adopt closed this one.
            await connection.DisposeAsync().ConfigureAwait(true);
        }

        var pinned = seeds.Learn(configured, connection.RemotePeer);
        if (pinned.ExpectedPeer != connection.RemotePeer)
        {
            // Another first contact pinned the address meanwhile, to someone else: the first one stands.
            await connection.CloseAsync().ConfigureAwait(true);
            throw new TransportException(TransportError.IdentityMismatch, $"{configured} proved {connection.RemotePeer}, not {pinned.ExpectedPeer}, the identity it proved on first contact.");
        }

        return pinned;
    }

    private async Task ReachBootstrapAsync(TransportAddress configured, CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            TransportAddress? target = null;
            try
            {
                target = await ResolveBootstrapAsync(configured, stoppingToken).ConfigureAwait(true);

                // Through the pool: a connection the DHT (or the peer) already opened is reused, and
                // concurrent dials to one peer share one handshake instead of racing to a duplicate
                // that one side would close under the other's first request.
                var connection = await _pool!.GetAsync(target, stoppingToken).ConfigureAwait(true);
                seeds.RecordSuccess(configured);
                Log.PeerConnected(logger, connection.RemotePeer, target, "bootstrap");
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (TransportException e)
            {
                seeds.RecordFailure(configured, e.Message);
                if (e.Reason == TransportError.IdentityMismatch && target?.ExpectedPeer is { } remembered && seeds.IsPinnedOnFirstUse(configured))
                {
                    ReportIdentityChangeOnce(configured, remembered);
                }

                Log.BootstrapFailed(logger, configured, e.Message, delay.TotalSeconds);
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

    private void ReportIdentityChangeOnce(TransportAddress configured, Overlay.Crypto.PeerId remembered)
    {
        lock (_identityChangeReported)
        {
            if (_identityChangeReported.Add(configured.ToString()))
            {
                Log.BootstrapIdentityChanged(logger, configured, remembered);
            }
        }
    }
}
