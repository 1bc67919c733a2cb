using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Transport.Quic;
using Overlay.Transport.Tls;

namespace Overlay.Transport;

/// <summary>
/// A node's transports behind one <see cref="ITransport"/>: TCP+TLS always, QUIC where libmsquic
/// is present. Where it is not, <see cref="Create"/> warns once ("QUIC unavailable; using TCP+TLS")
/// and quic:// listen addresses are served over TCP+TLS on the same host and port. Dialling a set
/// of announced addresses prefers QUIC when both sides have it.
/// </summary>
public sealed class TransportSet : ITransport
{
    private readonly TcpTlsTransport _tcp;
    private readonly ITransport? _quic;
    private readonly ILogger _logger;

    private TransportSet(TcpTlsTransport tcp, ITransport? quic, string? quicUnavailableReason, ILogger logger)
    {
        _tcp = tcp;
        _quic = quic;
        QuicUnavailableReason = quicUnavailableReason;
        _logger = logger;
    }

    /// <summary>True when QUIC can be used on this host.</summary>
    public bool QuicAvailable => _quic is not null;

    /// <summary>Why QUIC is not used, or null when it is.</summary>
    public string? QuicUnavailableReason { get; }

    /// <summary>The preferred scheme: QUIC when available, else TCP.</summary>
    public TransportScheme Scheme => QuicAvailable ? TransportScheme.Quic : TransportScheme.Tcp;

    /// <summary>Creates the node's transports, falling back to TCP+TLS alone (with a warning) without libmsquic.</summary>
    public static TransportSet Create(NodeIdentity identity, ProtocolDispatcher protocols, TransportOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        logger ??= NullLogger.Instance;
        var tcp = new TcpTlsTransport(identity, protocols, options, time, logger);
        ITransport? quic = null;
        string? reason = null;
        if (QuicSupport.IsAvailable(options, out var why) && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()))
        {
            quic = new QuicTransport(identity, protocols, options, time, logger);
        }
        else
        {
            reason = why;
            Log.QuicFallback(logger, why);
        }

        return new TransportSet(tcp, quic, reason, logger);
    }

    /// <summary>
    /// Orders announced addresses for dialling: QUIC first when this node has it, then TCP;
    /// addresses of other schemes, and QUIC ones when QUIC is unavailable, are left out.
    /// </summary>
    public static IReadOnlyList<TransportAddress> DialOrder(IReadOnlyList<TransportAddress> announced, bool quicAvailable)
    {
        ArgumentNullException.ThrowIfNull(announced);
        var ordered = new List<TransportAddress>(announced.Count);
        if (quicAvailable)
        {
            foreach (var a in announced)
            {
                if (a.Scheme == TransportScheme.Quic)
                {
                    ordered.Add(a);
                }
            }
        }

        foreach (var a in announced)
        {
            if (a.Scheme == TransportScheme.Tcp)
            {
                ordered.Add(a);
            }
        }

        return ordered;
    }

    /// <inheritdoc/>
    public ValueTask<ITransportListener> ListenAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme == TransportScheme.Quic)
        {
            if (_quic is not null)
            {
                return _quic.ListenAsync(address, cancellationToken);
            }

            Log.QuicFallback(_logger, $"{QuicUnavailableReason} Listening on {address} over TCP+TLS instead.");
            return _tcp.ListenAsync(TransportAddress.Create(TransportScheme.Tcp, address.Host, address.Port, address.ExpectedPeer), cancellationToken);
        }

        return _tcp.ListenAsync(address, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<ITransportConnection> DialAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme == TransportScheme.Quic)
        {
            return _quic is not null
                ? _quic.DialAsync(address, cancellationToken)
                : ValueTask.FromException<ITransportConnection>(new TransportException(TransportError.QuicUnavailable, QuicUnavailableReason ?? "QUIC is unavailable."));
        }

        return _tcp.DialAsync(address, cancellationToken);
    }

    /// <summary>
    /// Dials a peer by the addresses it announced, in <see cref="DialOrder"/>, returning the first
    /// connection made. Identity errors are not retried on other addresses: the peer is not who
    /// the addresses claim.
    /// </summary>
    public async ValueTask<ITransportConnection> DialAnyAsync(IReadOnlyList<TransportAddress> announced, CancellationToken cancellationToken = default)
    {
        var order = DialOrder(announced, QuicAvailable);
        if (order.Count == 0)
        {
            throw new TransportException(TransportError.UnsupportedAddress, "The peer announced no address this node can dial (tcp://, or quic:// where QUIC is available).");
        }

        TransportException? last = null;
        foreach (var address in order)
        {
            try
            {
                return await DialAsync(address, cancellationToken);
            }
            catch (TransportException ex) when (ex.Reason is not (TransportError.IdentityMismatch or TransportError.HandshakeFailed))
            {
                last = ex;
            }
        }

        throw last!;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _tcp.DisposeAsync();
        if (_quic is not null)
        {
            await _quic.DisposeAsync();
        }
    }
}
