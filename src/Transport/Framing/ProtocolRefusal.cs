namespace Overlay.Transport.Framing;

/// <summary>
/// Why a request or stream was not served: the one-byte payload of a <see cref="FrameType.Response"/>
/// with <see cref="FrameFlags.Error"/> and of a <see cref="FrameType.StreamReset"/>, and the
/// application error code of an aborted QUIC stream. A code this node does not know reads as
/// <see cref="Failed"/>.
/// </summary>
public enum ProtocolRefusal : byte
{
    /// <summary>Not a refusal (never sent).</summary>
    None = 0,

    /// <summary>The protocol's handler failed or refused.</summary>
    Failed = 1,

    /// <summary>The node does not serve the protocol (or that version of it) named in the header.</summary>
    UnsupportedProtocol = 2,

    /// <summary>The node serves the protocol but it is not running (starting or stopping); try later.</summary>
    Unavailable = 3,

    /// <summary>The node is at its limit of concurrent requests, messages or streams on this connection.</summary>
    Busy = 4,

    /// <summary>The protocol's traffic class does not allow this (a request or message naming a bulk protocol).</summary>
    WrongClass = 5,

    /// <summary>The stream was abandoned by its reader or writer before it ended.</summary>
    Cancelled = 6,
}
