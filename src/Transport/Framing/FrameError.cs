namespace Overlay.Transport.Framing;

/// <summary>
/// Why <see cref="FrameReader"/> could not return a frame; also the one-byte payload of a
/// <see cref="FrameType.ProtocolError"/> frame.
/// </summary>
public enum FrameError : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>Not enough bytes yet for a whole frame; read more and try again (not a fault).</summary>
    Incomplete = 1,

    /// <summary>The version byte is not one this node speaks. The connection is answered and closed.</summary>
    UnsupportedVersion = 2,

    /// <summary>The type byte is unknown. The frame is skipped and answered with a protocol error.</summary>
    UnknownType = 3,

    /// <summary>The declared payload length exceeds the configured maximum frame size.</summary>
    LengthTooLarge = 4,

    // 5 was wire version 1's "reserved byte set"; that byte is the protocol byte now.

    /// <summary>A flag bit that is not defined for this version is set.</summary>
    UnknownFlags = 6,

    /// <summary>The payload length does not fit the frame type (e.g. a window update that is not 4 bytes).</summary>
    BadPayloadLength = 7,

    /// <summary>The id is not allowed for the frame type (e.g. stream 0).</summary>
    BadId = 8,

    /// <summary>A request, message or stream open names no protocol (protocol byte 0).</summary>
    MissingProtocol = 9,

    /// <summary>A frame type that belongs to no protocol (a response, stream data, a ping, …) has a protocol byte other than 0.</summary>
    UnexpectedProtocol = 10,
}
