using System.Buffers.Binary;

namespace Overlay.Transport.Framing;

/// <summary>
/// The fixed 12-byte frame header: version (1 byte), type (1), flags (1), protocol (1), id (4,
/// big-endian), payload length (4, big-endian). See docs/PROTOCOL.md.
/// </summary>
/// <param name="Type">The frame type.</param>
/// <param name="Flags">The flag bits.</param>
/// <param name="Id">Request id or stream id, by type.</param>
/// <param name="PayloadLength">Payload bytes after the header.</param>
/// <param name="Protocol">
/// The registered protocol number (<see cref="ProtocolId.Number"/>) of a request, message or stream
/// open; 0 on every other type.
/// </param>
public readonly record struct FrameHeader(FrameType Type, FrameFlags Flags, uint Id, int PayloadLength, byte Protocol = 0)
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 12;

    /// <summary>The only wire version this node speaks (2: the fourth header byte names the protocol).</summary>
    public const byte CurrentVersion = 2;

    /// <summary>
    /// Largest bulk frame on the wire, header included: 64 KiB, four full TLS records. A control frame
    /// queued behind bulk data waits for at most one such frame in the sender's queues; over TCP the
    /// stream window (64 KiB by default) bounds what already sits in the sockets ahead of it. A link
    /// may cut bulk frames smaller (<see cref="Mux.IFrameLink.BulkFrameBytes"/>).
    /// </summary>
    public const int BulkFrameBytes = 64 * 1024;

    /// <summary>Header plus payload length in bytes.</summary>
    public int FrameLength => Size + PayloadLength;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = CurrentVersion;
        destination[1] = (byte)Type;
        destination[2] = (byte)Flags;
        destination[3] = Protocol;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Id);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], PayloadLength);
    }
}
