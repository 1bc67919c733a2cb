using System.Buffers.Binary;

namespace Overlay.Transport.Framing;

/// <summary>
/// The fixed 12-byte frame header: version (1 byte), type (1), flags (1), reserved zero (1),
/// id (4, big-endian), payload length (4, big-endian). See docs/PROTOCOL.md.
/// </summary>
public readonly record struct FrameHeader(FrameType Type, FrameFlags Flags, uint Id, int PayloadLength)
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 12;

    /// <summary>The only wire version this node speaks.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Header plus payload length in bytes.</summary>
    public int FrameLength => Size + PayloadLength;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = CurrentVersion;
        destination[1] = (byte)Type;
        destination[2] = (byte)Flags;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Id);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], PayloadLength);
    }
}
