using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Overlay.Transport.Tls;

/// <summary>
/// A bound TCP socket. The accept loop hands each socket to its own handshake task so a slow or
/// hostile handshake never stalls others; it refuses sockets from an address that already holds
/// <see cref="TransportOptions.MaxConnectionsPerAddress"/> connections. Only cancellation ends it.
/// </summary>
internal sealed class TcpTlsListener : ITransportListener
{
    private readonly TcpTlsTransport _owner;
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly AcceptedConnections _accepted = new();
    private readonly Task _loop;

    public TcpTlsListener(TcpTlsTransport owner, Socket socket, TransportAddress localAddress, ILogger logger)
    {
        _owner = owner;
        _socket = socket;
        _logger = logger;
        LocalAddress = localAddress;
        _loop = AcceptLoopAsync();
    }

    public TransportAddress LocalAddress { get; }

    public ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
        _accepted.TakeAsync(LocalAddress, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        _socket.Dispose();
        _accepted.Complete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _owner.Forget(this);
        _stop.Dispose();
    }

    private Task AcceptLoopAsync() =>
        AcceptLoop.RunAsync(_socket.AcceptAsync, ServeAsync, ex =>
        {
            // Transient accept failures (a reset before accept, descriptor exhaustion) must not stop the listener.
            if (ex is SocketException socketError)
            {
                Log.AcceptFailed(_logger, LocalAddress.ToString(), socketError);
                return true;
            }

            return false;
        }, _stop.Token);

    private async Task ServeAsync(Socket socket)
    {
        var remote = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        var count = _perAddress.AddOrUpdate(remote, 1, static (_, n) => n + 1);
        if (count > _owner.Options.MaxConnectionsPerAddress)
        {
            Release(remote);
            TransportMetrics.Dropped("address_limit");
            socket.Dispose();
            return;
        }

        try
        {
            var (ssl, peer) = await _owner.AcceptAsync(socket, _stop.Token);
            var remoteAddress = TransportAddress.Create(TransportScheme.Tcp, remote, ((IPEndPoint)socket.RemoteEndPoint!).Port, peer);
            var connection = _owner.Start(socket, ssl, peer, remoteAddress, isInitiator: false);
            connection.Closed.Register(static s =>
            {
                var (self, address) = ((TcpTlsListener, IPAddress))s!;
                self.Release(address);
            }, (this, remote));
            _accepted.Offer(connection);
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException or ObjectDisposedException)
        {
            Release(remote);
            Log.HandshakeFailed(_logger, remote.ToString(), ex.Message);
        }
    }

    private void Release(IPAddress address)
    {
        if (_perAddress.AddOrUpdate(address, 0, static (_, n) => n - 1) <= 0)
        {
            _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }
}
