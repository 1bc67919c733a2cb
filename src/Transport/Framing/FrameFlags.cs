namespace Overlay.Transport.Framing;

/// <summary>Flag bits of a frame header. Bits outside <see cref="Known"/> must be zero.</summary>
[Flags]
public enum FrameFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Last frame of the sender's direction of a stream.</summary>
    End = 0x01,

    /// <summary>The response reports a failure rather than a result.</summary>
    Error = 0x02,

    /// <summary>
    /// The sender wants low latency: the receiver sends the response to this request without
    /// waiting for the batch window.
    /// </summary>
    Urgent = 0x04,

    /// <summary>Every defined bit.</summary>
    Known = End | Error | Urgent,
}
