using Microsoft.Extensions.Logging;

namespace Overlay.Transport;

/// <summary>Transport log events (EventIds 1000–1099). Payloads and keys are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(1001, LogLevel.Debug, "Connection to {PeerId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string peerId, TransportError reason);

    [LoggerMessage(1002, LogLevel.Debug, "Dropped a frame from {PeerId}: {Reason}")]
    public static partial void FrameDropped(ILogger logger, string peerId, string reason);

    [LoggerMessage(1003, LogLevel.Debug, "Inbound handshake from {Remote} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string remote, string reason);

    [LoggerMessage(1004, LogLevel.Warning, "QUIC unavailable; using TCP+TLS: {Reason}")]
    public static partial void QuicFallback(ILogger logger, string reason);

    [LoggerMessage(1005, LogLevel.Error, "Handler failed on a connection from {PeerId}")]
    public static partial void HandlerFailed(ILogger logger, string peerId, Exception exception);

    [LoggerMessage(1006, LogLevel.Debug, "Accept loop error on {Address}")]
    public static partial void AcceptFailed(ILogger logger, string address, Exception exception);

    // Warning although peers cause them: a refusal is how an operator learns that nodes cannot join.
    // RefusalLog keeps it to one line per reason per minute.
    [LoggerMessage(1007, LogLevel.Warning, "This node {Detail}; {LeftOut} more for the same reason since the last report")]
    public static partial void RefusedInbound(ILogger logger, string detail, int leftOut);

    [LoggerMessage(1008, LogLevel.Warning, "{Address} refused this node's connection: {Detail}; {LeftOut} more such refusals since the last report")]
    public static partial void RefusedByPeer(ILogger logger, string address, string detail, int leftOut);

    [LoggerMessage(1009, LogLevel.Information, "A flood of up to {Peak} unauthenticated connections is over; memory returned to the system: working set {BeforeMb:0} MB, now {AfterMb:0} MB")]
    public static partial void FloodRelieved(ILogger logger, int peak, double beforeMb, double afterMb);

    [LoggerMessage(1010, LogLevel.Warning, "QUIC streams cannot be prioritised ({Reason}); over QUIC, requests may wait behind bulk streams")]
    public static partial void QuicPriorityUnavailable(ILogger logger, string reason);
}
