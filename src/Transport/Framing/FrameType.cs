namespace Overlay.Transport.Framing;

/// <summary>The type byte of a frame (docs/PROTOCOL.md §Frame types).</summary>
public enum FrameType : byte
{
    /// <summary>A request; the id is the requester's request id, the protocol byte names its protocol.</summary>
    Request = 1,

    /// <summary>
    /// The response to the request with the same id; flag Error marks a refusal, whose one-byte
    /// payload is a <see cref="ProtocolRefusal"/>.
    /// </summary>
    Response = 2,

    /// <summary>A one-way message; the id is 0, the protocol byte names its protocol.</summary>
    Message = 3,

    /// <summary>Opens stream id (odd ids from the dialler, even from the listener) for the protocol the protocol byte names.</summary>
    StreamOpen = 4,

    /// <summary>Bytes of stream id; flag End closes the sender's direction.</summary>
    StreamData = 5,

    /// <summary>Grants the sender of stream id a 4-byte big-endian number of further bytes.</summary>
    StreamWindow = 6,

    /// <summary>Aborts stream id in both directions; the one-byte payload is a <see cref="ProtocolRefusal"/> saying why.</summary>
    StreamReset = 7,

    /// <summary>Keep-alive probe; answered by <see cref="Pong"/> with the same id.</summary>
    Ping = 8,

    /// <summary>Answer to <see cref="Ping"/>.</summary>
    Pong = 9,

    /// <summary>The sender is closing gracefully; no new requests or streams will be served.</summary>
    GoAway = 10,

    /// <summary>Tells the remote it sent something we cannot serve; one byte payload: <see cref="FrameError"/>.</summary>
    ProtocolError = 11,
}
