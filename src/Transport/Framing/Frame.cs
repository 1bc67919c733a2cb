using System.Buffers;

namespace Overlay.Transport.Framing;

/// <summary>A decoded frame: its header and a slice of the receive buffer holding the payload.</summary>
public readonly struct Frame
{
    /// <summary>Creates a frame view.</summary>
    public Frame(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    /// <summary>The header.</summary>
    public FrameHeader Header { get; }

    /// <summary>The payload; valid only until the receive buffer is advanced.</summary>
    public ReadOnlySequence<byte> Payload { get; }
}
