using System.Collections.Concurrent;
using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Transport.Framing;
using Overlay.Transport.Mux;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Quic;

/// <summary>
/// QUIC over System.Net.Quic (scheme <c>quic://</c>, ALPN <c>overlay/2</c>), with the same
/// identity-bound TLS 1.3 certificates as TCP+TLS. The dialler's first bidirectional QUIC stream is
/// the control stream: it carries the frames of requests, responses, messages and keep-alives, as the
/// TLS stream does on TCP. Every <see cref="TransportStream"/> is a QUIC stream of its own
/// (<see cref="QuicStreamChannel"/>), so bulk bytes never hold up control frames. QUIC contributes
/// its handshake (one round trip), stream multiplexing and flow control, connection migration and idle
/// timeout (<see cref="TransportOptions.IdleTimeout"/>); keep-alives are the frame layer's, as on TCP
/// (<see cref="TransportOptions.KeepAliveInterval"/>).
/// Where libmsquic is missing every operation fails with <see cref="TransportError.QuicUnavailable"/>.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicTransport : ITransport
{
    private const long GoodbyeCode = 0;
    private const long AbortCode = 1;

    /// <summary>Stream abort code when .NET aborts a stream on our behalf (a disposed, unfinished stream).</summary>
    private const long StreamErrorCode = (long)ProtocolRefusal.Cancelled;

    private readonly X509Certificate2 _certificate;
    private readonly SslStreamCertificateContext _context;
    private readonly ProtocolDispatcher _protocols;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<MuxConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<QuicListenerAdapter, byte> _listeners = new();
    private int _priorityWarned;

    /// <summary>Creates the transport serving <paramref name="protocols"/>. Construction succeeds without libmsquic; use fails with QuicUnavailable.</summary>
    public QuicTransport(NodeIdentity identity, ProtocolDispatcher protocols, TransportOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(protocols);
        LocalPeer = identity.PeerId;
        _protocols = protocols;
        _options = options ?? new TransportOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _certificate = IdentityCertificate.Create(identity, _time);
        _context = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>This node's identity.</summary>
    public PeerId LocalPeer { get; }

    /// <inheritdoc/>
    public TransportScheme Scheme => TransportScheme.Quic;

    /// <inheritdoc/>
    public async ValueTask<ITransportListener> ListenAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Require(address);
        QuicSupport.ThrowIfUnavailable(_options);
        // Weakly keyed: a connection whose handshake fails never reaches the accept loop, and its
        // entry must go with it rather than pile up.
        var states = new ConditionalWeakTable<QuicConnection, TlsHandshake>();
        var listenerOptions = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(address.Host, address.Port),
            ApplicationProtocols = [TlsHandshake.Alpn],
            ConnectionOptionsCallback = (connection, _, _) =>
            {
                var state = new TlsHandshake(expected: null, _time);
                states.AddOrUpdate(connection, state);
                return ValueTask.FromResult(new QuicServerConnectionOptions
                {
                    DefaultStreamErrorCode = StreamErrorCode,
                    DefaultCloseErrorCode = GoodbyeCode,
                    IdleTimeout = _options.IdleTimeout,

                    // No QUIC pings on an idle connection, as on TCP: the frame keep-alive watches a
                    // connection while something is in flight (MuxConnection), and an idle one is left
                    // to the pool's sweep or, failing that, QUIC's own idle timeout.
                    KeepAliveInterval = Timeout.InfiniteTimeSpan,
                    HandshakeTimeout = _options.HandshakeTimeout,

                    // The dialler's control stream plus its transport streams.
                    MaxInboundBidirectionalStreams = Math.Min(_options.MaxStreamsPerConnection + 1, ushort.MaxValue),
                    MaxInboundUnidirectionalStreams = 0,
                    InitialReceiveWindowSizes = ReceiveWindows(),
                    ServerAuthenticationOptions = TlsHandshake.ServerOptions(_context, state),
                });
            },
        };

        QuicListener listener;
        try
        {
            listener = await QuicListener.ListenAsync(listenerOptions, cancellationToken);
        }
        catch (QuicException ex)
        {
            throw new TransportException(TransportError.UnsupportedAddress, $"Cannot listen on {address}: {ex.Message}", ex);
        }

        var local = TransportAddress.Create(TransportScheme.Quic, listener.LocalEndPoint.Address, listener.LocalEndPoint.Port, LocalPeer);
        var adapter = new QuicListenerAdapter(this, listener, states, local);
        _listeners.TryAdd(adapter, 0);
        Log.Listening(_logger, local.ToString());
        return adapter;
    }

    /// <summary>
    /// Dials and completes the handshake. The control stream is opened after that without waiting: it
    /// costs no round trip (the listener's transport parameters already allow it) but two hops through
    /// libmsquic's worker thread, and frames queued meanwhile leave as soon as it is open.
    /// </summary>
    public async ValueTask<ITransportConnection> DialAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Require(address);
        var (connection, peer) = await HandshakeAsync(address, cancellationToken);
        return Start(connection, OpenControlStreamAsync(connection), [], peer, address.WithPeer(peer), isInitiator: true);
    }

    /// <summary>Connects, authenticates and opens the control stream (tests write raw bytes into it).</summary>
    internal async Task<(QuicConnection Connection, QuicStream Stream, PeerId Peer)> ConnectAsync(TransportAddress address, CancellationToken cancellationToken)
    {
        var (connection, peer) = await HandshakeAsync(address, cancellationToken);
        try
        {
            return (connection, await OpenControlStreamAsync(connection), peer);
        }
        catch (QuicException ex)
        {
            await connection.DisposeAsync();
            throw new TransportException(TransportError.PeerUnreachable, $"Could not open the control stream to {address}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Opens the control stream, first in the send order of the connection's streams, and writes its
    /// first frame, a Ping (a QUIC stream is visible to the peer only with its first bytes).
    /// </summary>
    internal async Task<QuicStream> OpenControlStreamAsync(QuicConnection connection)
    {
        var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        Prioritise(stream, QuicStreamPriority.Control);
        var hello = new byte[FrameHeader.Size];
        new FrameHeader(FrameType.Ping, FrameFlags.None, 0, 0).WriteTo(hello);
        await stream.WriteAsync(hello);
        return stream;
    }

    /// <summary>Connects and completes the authenticated QUIC handshake (tests then open streams by hand).</summary>
    internal async Task<(QuicConnection Connection, PeerId Peer)> HandshakeAsync(TransportAddress address, CancellationToken cancellationToken)
    {
        QuicSupport.ThrowIfUnavailable(_options);
        var state = new TlsHandshake(address.ExpectedPeer, _time);
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        QuicConnection? connection = null;
        try
        {
            connection = await QuicConnection.ConnectAsync(
                new QuicClientConnectionOptions
                {
                    RemoteEndPoint = new IPEndPoint(address.Host, address.Port),
                    DefaultStreamErrorCode = StreamErrorCode,
                    DefaultCloseErrorCode = GoodbyeCode,
                    IdleTimeout = _options.IdleTimeout,

                    // No QUIC pings on an idle connection, as on TCP: the frame keep-alive watches a
                    // connection while something is in flight (MuxConnection), and an idle one is left
                    // to the pool's sweep or, failing that, QUIC's own idle timeout.
                    KeepAliveInterval = Timeout.InfiniteTimeSpan,
                    HandshakeTimeout = _options.HandshakeTimeout,

                    // Streams the listener opens towards the dialler.
                    MaxInboundBidirectionalStreams = Math.Min(_options.MaxStreamsPerConnection, ushort.MaxValue),
                    MaxInboundUnidirectionalStreams = 0,
                    InitialReceiveWindowSizes = ReceiveWindows(),
                    ClientAuthenticationOptions = TlsHandshake.ClientOptions(_context, state),
                },
                linked.Token);
            if (state.Peer is not { } peer)
            {
                await connection.DisposeAsync();
                throw new TransportException(TransportError.HandshakeFailed, "The QUIC handshake ended without validating the peer.");
            }

            return (connection, peer);
        }
        catch (Exception ex) when (ex is not TransportException)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            if (state.Failure is { } refused)
            {
                throw refused;
            }

            if (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TransportException(TransportError.Timeout, $"Connecting to {address} took longer than {_options.HandshakeTimeout}.", ex);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new TransportException(
                ex is AuthenticationException ? TransportError.HandshakeFailed : TransportError.PeerUnreachable,
                $"Could not connect to {address} over QUIC: {ex.Message}",
                ex);
        }
    }

    /// <summary>Drops every connection without a goodbye, as a crash would (tests).</summary>
    internal void AbortAllForTests()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.Link.Abort();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var l in _listeners.Keys)
        {
            await l.DisposeAsync();
        }

        foreach (var c in _connections.Keys)
        {
            await c.CloseAsync();
        }

        _certificate.Dispose();
    }

    /// <summary>
    /// Frames the connection: <paramref name="control"/> (possibly still opening) carries the frames,
    /// <paramref name="early"/> are streams the peer opened before its control stream arrived.
    /// </summary>
    internal MuxConnection Start(QuicConnection quic, Task<QuicStream> control, IReadOnlyList<QuicStream> early, PeerId peer, TransportAddress remote, bool isInitiator)
    {
        MuxConnection? connection = null;
        var link = new StreamLink(
            AsStream(control),
            s => ShutdownAsync((QuicStream)s),

            // A connection that closed for its own reasons (a goodbye either way) says so with the
            // goodbye code, so the peer reports Closed; anything else (a crash in tests, a protocol
            // violation) is an abort, which the peer reports as an unreachable peer.
            () => _ = CloseQuicAsync(quic, control, connection?.CloseReason == TransportError.Closed ? GoodbyeCode : AbortCode),
            ReasonOf);
        var channel = new QuicStreamChannel(quic, control, early, _options, _time, Prioritise);
        connection = new MuxConnection(link, TransportScheme.Quic, peer, remote, isInitiator, _protocols, _options, _time, _logger, channel);
        _connections.TryAdd(connection, 0);
        connection.Closed.Register(static s =>
        {
            var (self, c) = ((QuicTransport, MuxConnection))s!;
            self._connections.TryRemove(c, out _);
        }, (this, connection));
        _ = link.RunReceiveLoopAsync(connection);
        return connection;
    }

    /// <summary>
    /// Ends our side of the frame stream and waits, at most a handshake timeout, until the peer has
    /// acknowledged all of it. Closing the QUIC connection discards whatever it has not yet sent, so
    /// without this wait the goodbye frame (and the last frames before it) could be lost.
    /// </summary>
    private async ValueTask ShutdownAsync(QuicStream stream)
    {
        stream.CompleteWrites();
        await stream.WritesClosed.WaitAsync(_options.HandshakeTimeout, _time);
    }

    /// <summary>Closes the QUIC connection with <paramref name="code"/> and releases it and its control stream.</summary>
    private static async Task CloseQuicAsync(QuicConnection quic, Task<QuicStream> control, long code)
    {
        try
        {
            await quic.CloseAsync(code);
        }
        catch (Exception ex) when (ex is QuicException or ObjectDisposedException)
        {
            // Already closed by the peer, by the idle timeout or locally: nothing left to tell.
        }
        finally
        {
            if (control.IsCompletedSuccessfully)
            {
                await control.Result.DisposeAsync();
            }

            await quic.DisposeAsync();
        }
    }

    private static async Task<Stream> AsStream(Task<QuicStream> control) => await control;

    /// <summary>
    /// Every stream's initial receive window is <see cref="TransportOptions.StreamWindowBytes"/>, and the
    /// connection's is four of them. libmsquic widens a stream's window while its reader keeps up, and
    /// stream priorities only order what is sent next: bulk bytes already in flight are read before a
    /// request behind them. The connection window bounds those bytes, as the stream window does on TCP.
    /// </summary>
    private QuicReceiveWindowSizes ReceiveWindows() => new()
    {
        Connection = 4 * _options.StreamWindowBytes,
        LocallyInitiatedBidirectionalStream = _options.StreamWindowBytes,
        RemotelyInitiatedBidirectionalStream = _options.StreamWindowBytes,
    };

    /// <summary>
    /// Why a QUIC stream failed, as far as QUIC tells: the peer's goodbye code is an orderly close,
    /// as is our own abort of the operation; a path that stopped answering (the idle timeout, which
    /// keep-alive holds off while the peer lives, or unacknowledged packets) is a timeout, like the
    /// frame keep-alive's on TCP; any other abort or reset means the peer is gone or gave up on us.
    /// </summary>
    internal static TransportError? ReasonOf(Exception exception) => exception switch
    {
        QuicException { QuicError: QuicError.ConnectionAborted, ApplicationErrorCode: GoodbyeCode } => TransportError.Closed,
        QuicException { QuicError: QuicError.OperationAborted } => TransportError.Closed,
        QuicException { QuicError: QuicError.ConnectionIdle or QuicError.ConnectionTimeout } => TransportError.Timeout,
        QuicException => TransportError.PeerUnreachable,
        _ => null,
    };

    /// <summary>
    /// Sets a stream's send priority in libmsquic (<see cref="QuicStreamPriority"/>); where that cannot
    /// be done, warns once per transport and carries on.
    /// </summary>
    internal void Prioritise(QuicStream stream, ushort priority)
    {
        if (!QuicStreamPriority.TrySet(stream, priority, _options.MsQuicLibraryPath) &&
            QuicStreamPriority.UnavailableReason is { } reason && Interlocked.Exchange(ref _priorityWarned, 1) == 0)
        {
            Log.QuicPriorityUnavailable(_logger, reason);
        }
    }

    /// <summary>Time allowed for connecting, the handshake and opening the frame stream.</summary>
    internal TimeSpan HandshakeTimeout => _options.HandshakeTimeout;

    /// <summary>The transport's clock.</summary>
    internal TimeProvider Time => _time;

    internal void Forget(QuicListenerAdapter listener) => _listeners.TryRemove(listener, out _);

    private static void Require(TransportAddress address)
    {
        if (address.Scheme != TransportScheme.Quic)
        {
            throw new TransportException(TransportError.UnsupportedAddress, $"The QUIC transport serves quic:// addresses, not {address}.");
        }
    }
}
