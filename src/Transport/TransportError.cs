namespace Overlay.Transport;

/// <summary>Why a transport operation failed; carried by <see cref="TransportException"/>.</summary>
public enum TransportError
{
    /// <summary>The remote could not be reached (refused, unroutable, partitioned, reset during set-up).</summary>
    PeerUnreachable,

    /// <summary>The remote proved an identity other than the one the address pinned.</summary>
    IdentityMismatch,

    /// <summary>The remote's certificate did not carry a valid identity binding, or TLS failed.</summary>
    HandshakeFailed,

    /// <summary>A frame broke the wire protocol; the connection was closed.</summary>
    ProtocolViolation,

    /// <summary>An operation did not finish within its configured time.</summary>
    Timeout,

    /// <summary>The connection or transport is closed (locally, by the remote, or because the remote died).</summary>
    Closed,

    /// <summary>QUIC cannot be used on this host: libmsquic is not installed or not loadable.</summary>
    QuicUnavailable,

    /// <summary>The remote's handler failed or refused the request.</summary>
    RemoteError,

    /// <summary>A limit (connections, streams, queued bytes; or the remote's concurrent requests or streams) refused the operation.</summary>
    LimitExceeded,

    /// <summary>The address uses a scheme this transport does not serve.</summary>
    UnsupportedAddress,

    /// <summary>The remote does not serve the protocol (or that version of it) the request or stream named; the connection stays open.</summary>
    UnsupportedProtocol,

    /// <summary>The remote serves the protocol but it is not running yet (or any more); the connection stays open, try later.</summary>
    Unavailable,
}
