using System.Buffers;
using System.Buffers.Binary;

namespace Overlay.Transport.Framing;

/// <summary>
/// Decodes frames from untrusted bytes without throwing and without allocating. The declared
/// length is checked against the configured maximum before anything is buffered for it, so a
/// peer cannot make the receiver hold more than one maximal frame per connection.
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Reads the frame at the start of <paramref name="source"/>. Returns true when a whole valid
    /// frame is present (its payload is <c>source[FrameHeader.Size..header.FrameLength]</c>).
    /// On <see cref="FrameError.UnknownType"/> the header is still filled, and the whole frame is
    /// present, so the caller can answer and skip it; on every other error it is default.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, int maxFrameBytes, out FrameHeader header, out FrameError error)
    {
        header = default;
        if (source.Length < FrameHeader.Size)
        {
            error = FrameError.Incomplete;
            return false;
        }

        error = ValidateHeader(source, maxFrameBytes, out var candidate);
        if (error is not (FrameError.None or FrameError.UnknownType))
        {
            return false;
        }

        if (source.Length < candidate.FrameLength)
        {
            error = FrameError.Incomplete;
            return false;
        }

        header = candidate;
        return error == FrameError.None;
    }

    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/>. On success, and when a whole
    /// unknown-type frame was skipped (false with <see cref="FrameError.UnknownType"/>, header in
    /// <paramref name="frame"/>), <paramref name="buffer"/> is advanced past the frame; otherwise
    /// it is left as it was.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out Frame frame, out FrameError error)
    {
        frame = default;
        if (buffer.Length < FrameHeader.Size)
        {
            error = FrameError.Incomplete;
            return false;
        }

        Span<byte> copy = stackalloc byte[FrameHeader.Size];
        scoped ReadOnlySpan<byte> head;
        if (buffer.FirstSpan.Length >= FrameHeader.Size)
        {
            head = buffer.FirstSpan;
        }
        else
        {
            buffer.Slice(0, FrameHeader.Size).CopyTo(copy);
            head = copy;
        }

        error = ValidateHeader(head, maxFrameBytes, out var header);
        if (error is not (FrameError.None or FrameError.UnknownType))
        {
            return false;
        }

        if (buffer.Length < header.FrameLength)
        {
            error = FrameError.Incomplete;
            return false;
        }

        frame = new Frame(header, error == FrameError.None ? buffer.Slice(FrameHeader.Size, header.PayloadLength) : default);
        buffer = buffer.Slice(header.FrameLength);
        return error == FrameError.None;
    }

    /// <summary>
    /// Checks the 12 header bytes. Cheapest checks first: version and the declared length against the
    /// maximum, so an oversized frame is refused before any payload is buffered.
    /// </summary>
    private static FrameError ValidateHeader(ReadOnlySpan<byte> head, int maxFrameBytes, out FrameHeader header)
    {
        header = default;
        if (head[0] != FrameHeader.CurrentVersion)
        {
            return FrameError.UnsupportedVersion;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(head[8..]);
        if (length > (uint)Math.Max(0, maxFrameBytes - FrameHeader.Size))
        {
            return FrameError.LengthTooLarge;
        }

        var flags = (FrameFlags)head[2];
        if ((flags & ~FrameFlags.Known) != 0)
        {
            return FrameError.UnknownFlags;
        }

        var candidate = new FrameHeader((FrameType)head[1], flags, BinaryPrimitives.ReadUInt32BigEndian(head[4..]), (int)length, head[3]);
        var error = Check(candidate);
        if (error is FrameError.None or FrameError.UnknownType)
        {
            header = candidate;
        }

        return error;
    }

    /// <summary>Per-type rules on the protocol byte, the id and the payload length.</summary>
    private static FrameError Check(FrameHeader h) => h.Type switch
    {
        FrameType.Request => NamesProtocol(h),
        FrameType.Message => h.Id != 0 ? FrameError.BadId : NamesProtocol(h),
        FrameType.StreamOpen => h.Id == 0 ? FrameError.BadId : NamesProtocol(h),
        FrameType.Response => h.Protocol != 0 ? FrameError.UnexpectedProtocol
            : (h.Flags & FrameFlags.Error) != 0 && h.PayloadLength != 1 ? FrameError.BadPayloadLength : FrameError.None,
        FrameType.StreamData => h.Id == 0 ? FrameError.BadId : NoProtocol(h),
        FrameType.StreamWindow => h.Id == 0 ? FrameError.BadId : h.PayloadLength != 4 ? FrameError.BadPayloadLength : NoProtocol(h),
        FrameType.StreamReset => h.Id == 0 ? FrameError.BadId : h.PayloadLength != 1 ? FrameError.BadPayloadLength : NoProtocol(h),
        FrameType.Ping or FrameType.Pong or FrameType.GoAway => h.PayloadLength != 0 ? FrameError.BadPayloadLength : NoProtocol(h),
        FrameType.ProtocolError => h.PayloadLength != 1 ? FrameError.BadPayloadLength : NoProtocol(h),
        _ => FrameError.UnknownType,
    };

    private static FrameError NamesProtocol(FrameHeader h) => h.Protocol == 0 ? FrameError.MissingProtocol : FrameError.None;

    private static FrameError NoProtocol(FrameHeader h) => h.Protocol != 0 ? FrameError.UnexpectedProtocol : FrameError.None;
}
