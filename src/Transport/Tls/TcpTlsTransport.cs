using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Transport.Admission;
using Overlay.Transport.Mux;

namespace Overlay.Transport.Tls;

/// <summary>
/// TCP with TLS 1.3 (scheme <c>tcp://</c>). Both sides present an identity-bound certificate
/// (<see cref="IdentityCertificate"/>); frames (docs/PROTOCOL.md) are multiplexed over the TLS stream.
/// </summary>
public sealed class TcpTlsTransport : ITransport
{
    private readonly X509Certificate2 _certificate;
    private readonly ProtocolDispatcher _protocols;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<MuxConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<TcpTlsListener, byte> _listeners = new();
    private int _disposed;

    /// <summary>Creates the transport for <paramref name="identity"/>, serving <paramref name="protocols"/>; the certificate is made here.</summary>
    public TcpTlsTransport(NodeIdentity identity, ProtocolDispatcher protocols, TransportOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
        : this(identity.PeerId, IdentityCertificate.Create(identity, time ?? TimeProvider.System), protocols, options, time, logger)
    {
    }

    /// <summary>Creates the transport with a given certificate (tests present forged ones).</summary>
    internal TcpTlsTransport(PeerId localPeer, X509Certificate2 certificate, ProtocolDispatcher protocols, TransportOptions? options, TimeProvider? time, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        LocalPeer = localPeer;
        _certificate = certificate;
        _protocols = protocols;
        Options = options ?? new TransportOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Refusals = new RefusalLog(_logger, _time);
        CertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>This node's identity.</summary>
    public PeerId LocalPeer { get; }

    /// <inheritdoc/>
    public TransportScheme Scheme => TransportScheme.Tcp;

    /// <summary>Open connections, dialled and accepted.</summary>
    public int ConnectionCount => _connections.Count;

    internal TransportOptions Options { get; }

    internal SslStreamCertificateContext CertificateContext { get; }

    /// <summary>Where refusals either way are logged, once per reason per minute.</summary>
    internal RefusalLog Refusals { get; }

    internal TimeProvider Time => _time;

    internal ILogger Logger => _logger;

    /// <inheritdoc/>
    public ValueTask<ITransportListener> ListenAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Require(address);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var socket = new Socket(address.Host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address.Host, address.Port));
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(TransportError.UnsupportedAddress, $"Cannot listen on {address}: {ex.Message}", ex);
        }

        var bound = (IPEndPoint)socket.LocalEndPoint!;
        var local = TransportAddress.Create(TransportScheme.Tcp, bound.Address, bound.Port, LocalPeer);
        var listener = new TcpTlsListener(this, socket, local);
        _listeners.TryAdd(listener, 0);
        Log.Listening(_logger, local.ToString());
        return ValueTask.FromResult<ITransportListener>(listener);
    }

    /// <inheritdoc/>
    public async ValueTask<ITransportConnection> DialAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Require(address);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var (socket, ssl, peer) = await ConnectAsync(address, cancellationToken);
        return Start(socket, ssl, peer, address.WithPeer(peer), isInitiator: true);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var listener in _listeners.Keys)
        {
            await listener.DisposeAsync();
        }

        foreach (var connection in _connections.Keys)
        {
            await connection.CloseAsync();
        }

        _certificate.Dispose();
    }

    /// <summary>Connects and completes the TLS handshake; the result is authenticated but not yet framed.</summary>
    internal async Task<(Socket Socket, SslStream Ssl, PeerId Peer)> ConnectAsync(TransportAddress address, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new Socket(address.Host.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? ssl = null;
        RefusalAwareStream? stream = null;
        var state = new TlsHandshake(address.ExpectedPeer, _time);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address.Host, address.Port), linked.Token);
            stream = new RefusalAwareStream(new NetworkStream(socket, ownsSocket: true));
            ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(TlsHandshake.ClientOptions(CertificateContext, state), linked.Token);
            return (socket, ssl, state.Peer ?? throw new TransportException(TransportError.HandshakeFailed, "The TLS handshake ended without validating the peer."));
        }
        catch (Exception ex) when (ex is not TransportException)
        {
            if (ssl is not null)
            {
                await ssl.DisposeAsync();
            }

            socket.Dispose();
            if (state.Failure is { } refused)
            {
                throw refused;
            }

            if (stream?.Refusal is { } reason)
            {
                Refusals.Outbound(address, reason);
                throw new TransportException(TransportError.LimitExceeded, $"{address} refused the connection: {RefusalNotice.Explain(reason)}.", ex);
            }

            if (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TransportException(TransportError.Timeout, $"Connecting to {address} took longer than {Options.HandshakeTimeout}.", ex);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            if (ex is AuthenticationException)
            {
                throw new TransportException(TransportError.HandshakeFailed, $"The TLS handshake with {address} failed: {ex.Message}", ex);
            }

            throw new TransportException(TransportError.PeerUnreachable, $"Could not reach {address}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Accepts one TLS handshake on an accepted socket. The caller bounds it (the listener's deadline
    /// covers the wait for the first byte and the handshake together); a cancellation is reported as a timeout.
    /// </summary>
    internal async Task<(SslStream Ssl, PeerId Peer)> AcceptAsync(Socket socket, CancellationToken cancellationToken)
    {
        socket.NoDelay = true;
        var state = new TlsHandshake(expected: null, _time);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(TlsHandshake.ServerOptions(CertificateContext, state), cancellationToken);
            return (ssl, state.Peer ?? throw new TransportException(TransportError.HandshakeFailed, "The TLS handshake ended without validating the peer."));
        }
        catch (Exception ex) when (ex is not TransportException)
        {
            await ssl.DisposeAsync();
            throw state.Failure ?? new TransportException(
                ex is OperationCanceledException ? TransportError.Timeout : TransportError.HandshakeFailed,
                $"The inbound TLS handshake failed: {ex.Message}",
                ex);
        }
    }

    internal MuxConnection Start(Socket socket, SslStream ssl, PeerId peer, TransportAddress remote, bool isInitiator)
    {
        var link = new StreamLink(
            ssl,
            static async s =>
            {
                var tls = (SslStream)s;
                await tls.ShutdownAsync();
                await tls.FlushAsync();
            },
            () =>
            {
                ssl.Dispose();
                socket.Dispose();
            });
        var connection = new MuxConnection(link, TransportScheme.Tcp, peer, remote, isInitiator, _protocols, Options, _time, _logger);
        _connections.TryAdd(connection, 0);
        connection.Closed.Register(static s =>
        {
            var (self, c) = ((TcpTlsTransport, MuxConnection))s!;
            self._connections.TryRemove(c, out _);
        }, (this, connection));
        _ = link.RunReceiveLoopAsync(connection);
        return connection;
    }

    /// <summary>Drops every connection without a goodbye, as a crash would (tests).</summary>
    internal void AbortAllForTests()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.Link.Abort();
        }
    }

    internal void Forget(TcpTlsListener listener) => _listeners.TryRemove(listener, out _);

    private static void Require(TransportAddress address)
    {
        if (address.Scheme != TransportScheme.Tcp)
        {
            throw new TransportException(TransportError.UnsupportedAddress, $"The TCP+TLS transport serves tcp:// addresses, not {address}.");
        }
    }
}
