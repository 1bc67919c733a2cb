using System.Net.Quic;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

namespace Overlay.Transport.Quic;

/// <summary>A QUIC listener presented as an <see cref="ITransportListener"/>.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicListenerAdapter : ITransportListener
{
    private readonly QuicTransport _owner;
    private readonly QuicListener _listener;
    private readonly ConditionalWeakTable<QuicConnection, Tls.TlsHandshake> _states;
    private readonly CancellationTokenSource _stop = new();
    private readonly AcceptedConnections _accepted = new();
    private readonly Task _loop;

    public QuicListenerAdapter(QuicTransport owner, QuicListener listener, ConditionalWeakTable<QuicConnection, Tls.TlsHandshake> states, TransportAddress localAddress)
    {
        _owner = owner;
        _listener = listener;
        _states = states;
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
        await _listener.DisposeAsync();
        _accepted.Complete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _owner.Forget(this);
        _stop.Dispose();
    }

    private Task AcceptLoopAsync() =>
        AcceptLoop.RunAsync(_listener.AcceptConnectionAsync, ServeAsync, static ex =>
        {
            // A failed handshake (bad binding, wrong ALPN) ends that attempt, not the listener.
            if (ex is QuicException or System.Security.Authentication.AuthenticationException)
            {
                TransportMetrics.Dropped("handshake_failed");
                return true;
            }

            return false;
        }, _stop.Token);

    private async Task ServeAsync(QuicConnection connection)
    {
        _states.TryGetValue(connection, out var state);
        _states.Remove(connection);
        var early = new List<QuicStream>();
        try
        {
            if (state?.Peer is not { } peer)
            {
                await connection.DisposeAsync();
                return;
            }

            // The dialler's first stream (id 0) is its control stream, opened right after the handshake;
            // one that does not open it is dropped after the handshake timeout instead of holding the
            // connection until idle. A transport stream that overtook it on the network waits for it.
            using var timeout = new CancellationTokenSource(_owner.HandshakeTimeout, _owner.Time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, timeout.Token);
            QuicStream control;
            while ((control = await connection.AcceptInboundStreamAsync(wait.Token)).Id != 0)
            {
                early.Add(control);
            }

            _owner.Prioritise(control, QuicStreamPriority.Control);
            var remote = TransportAddress.Create(TransportScheme.Quic, connection.RemoteEndPoint.Address, connection.RemoteEndPoint.Port, peer);
            _accepted.Offer(_owner.Start(connection, Task.FromResult(control), early, peer, remote, isInitiator: false));
        }
        catch (Exception ex) when (ex is QuicException or OperationCanceledException or ObjectDisposedException)
        {
            foreach (var stream in early)
            {
                await stream.DisposeAsync();
            }

            await connection.DisposeAsync();
        }
    }
}
