using System.Buffers.Binary;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Tests.Contract;

/// <summary>
/// Seeded random frames: harmless ones a listener must survive (and answer or count) and fatal ones
/// it must refuse. Harmless frames name every kind of protocol: served ones, one registered but not
/// started, bulk ones used for requests, and numbers nobody registered. Where streams travel beside
/// the frame link (QUIC), stream frames on the link are fatal, so <c>streamFrames</c> says whether
/// they may appear as harmless ones.
/// </summary>
public static class FrameFuzzer
{
    /// <summary>
    /// <paramref name="harmless"/> well-formed but meaningless frames, and with probability 3/4 one
    /// fatal frame at the end.
    /// </summary>
    public static byte[] Burst(Random random, int harmless, bool streamFrames, out int frames)
    {
        var output = new MemoryStream();
        for (var i = 0; i < harmless; i++)
        {
            WriteHarmless(random, output, streamFrames);
        }

        frames = harmless;
        if (random.Next(4) != 0)
        {
            WriteFatal(random, output);
            frames++;
        }

        return output.ToArray();
    }

    /// <summary>True when the burst holds a frame the listener must close the connection for.</summary>
    public static bool ContainsFatal(ReadOnlySpan<byte> burst, bool streamFrames)
    {
        while (!burst.IsEmpty)
        {
            if (!FrameReader.TryRead(burst, 1 << 20, out var header, out var error))
            {
                if (error != FrameError.UnknownType)
                {
                    return true;
                }
            }
            else if (IsSemanticallyFatal(header, burst.Slice(FrameHeader.Size, header.PayloadLength), streamFrames))
            {
                return true;
            }

            burst = burst[header.FrameLength..];
        }

        return false;
    }

    /// <summary>A frame the decoder accepts but the connection must refuse: a stream the dialler may not open, or any stream frame where streams are not frames.</summary>
    private static bool IsSemanticallyFatal(FrameHeader h, ReadOnlySpan<byte> payload, bool streamFrames) => h.Type switch
    {
        FrameType.StreamOpen => !streamFrames || (h.Id & 1) == 0 || h.PayloadLength != 0,
        FrameType.StreamWindow => !streamFrames || BinaryPrimitives.ReadUInt32BigEndian(payload) == 0,
        FrameType.StreamData or FrameType.StreamWindow or FrameType.StreamReset => !streamFrames,
        _ => false,
    };

    /// <summary>Any protocol byte but 0: served, not started, bulk, or registered nowhere.</summary>
    private static byte AnyProtocol(Random random) => (byte)random.Next(1, 256);

    /// <summary>A protocol whose stream opens are refused without a stream being made (so reused ids stay harmless).</summary>
    private static byte RefusedStreamProtocol(Random random)
    {
        while (true)
        {
            var number = random.Next(4) == 0 ? TestProtocols.NotStarted.Number : AnyProtocol(random);
            if (!TestProtocols.IsRegistered(number) || number == TestProtocols.NotStarted.Number)
            {
                return number;
            }
        }
    }

    public static void WriteHarmless(Random random, Stream output, bool streamFrames = true)
    {
        var payload = new byte[random.Next(0, 48)];
        random.NextBytes(payload);
        var id = (uint)random.Next(1, int.MaxValue);
        FrameHeader header;
        var kind = random.Next(10);
        if (!streamFrames && kind is 3 or 4 or 7 or 8)
        {
            kind = 0;
        }

        switch (kind)
        {
            case 0:
                header = new FrameHeader(FrameType.Request, random.Next(2) == 0 ? FrameFlags.None : FrameFlags.Urgent, id, payload.Length, AnyProtocol(random));
                break;
            case 1:
                header = new FrameHeader(FrameType.Message, FrameFlags.None, 0, payload.Length, AnyProtocol(random));
                break;
            case 2:
                var flags = (FrameFlags)random.Next(8) & (FrameFlags.Error | FrameFlags.Urgent);
                if ((flags & FrameFlags.Error) != 0)
                {
                    payload = [(byte)random.Next(256)];
                }

                header = new FrameHeader(FrameType.Response, flags, id, payload.Length);
                break;
            case 3:
                // A grant in range for a stream that does not exist (a grant of 0 is fatal).
                payload = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)random.Next(1, int.MaxValue));
                header = new FrameHeader(FrameType.StreamWindow, FrameFlags.None, id, 4);
                break;
            case 4:
                header = new FrameHeader(FrameType.StreamData, random.Next(2) == 0 ? FrameFlags.None : FrameFlags.End, id | 0x4000_0000, payload.Length);
                break;
            case 5:
                payload = [];
                header = new FrameHeader(random.Next(2) == 0 ? FrameType.Ping : FrameType.Pong, FrameFlags.None, id, 0);
                break;
            case 6:
                payload = [(byte)random.Next(256)];
                header = new FrameHeader(FrameType.ProtocolError, FrameFlags.None, 0, 1);
                break;
            case 7:
                payload = [(byte)random.Next(256)];
                header = new FrameHeader(FrameType.StreamReset, FrameFlags.None, id | 0x4000_0000, 1);
                break;
            case 8:
                // A dialler's stream (odd id) for a protocol the listener refuses: reset, counted, connection kept.
                payload = [];
                header = new FrameHeader(FrameType.StreamOpen, FrameFlags.None, id | 1, 0, RefusedStreamProtocol(random));
                break;
            default:
                header = new FrameHeader((FrameType)random.Next(12, 256), (FrameFlags)random.Next(8), id, payload.Length, (byte)random.Next(256));
                break;
        }

        Write(output, header, payload);
    }

    public static void WriteFatal(Random random, Stream output)
    {
        var bytes = new byte[FrameHeader.Size + random.Next(0, 32)];
        random.NextBytes(bytes);
        var header = new FrameHeader(FrameType.Request, FrameFlags.None, (uint)random.Next(), bytes.Length - FrameHeader.Size, AnyProtocol(random));
        header.WriteTo(bytes);
        switch (random.Next(10))
        {
            case 0:
                bytes[0] = (byte)(FrameHeader.CurrentVersion + random.Next(1, 256)); // unsupported version (wraps to 0, 1, 3, …)
                break;
            case 1:
                bytes[3] = 0; // a request that names no protocol
                break;
            case 2:
                bytes[2] = (byte)(0x08 | random.Next(256)); // undefined flag bit
                break;
            case 3:
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), (uint)random.Next(1 << 21, int.MaxValue)); // oversized
                break;
            case 4 when random.Next(2) == 0:
                // A grant of nothing.
                bytes = new byte[FrameHeader.Size + 4];
                new FrameHeader(FrameType.StreamWindow, FrameFlags.None, (uint)random.Next(1, 1000), 4).WriteTo(bytes);
                break;
            case 4:
                bytes[1] = (byte)FrameType.StreamWindow; // window update of the wrong size
                bytes[3] = 0;
                if (bytes.Length - FrameHeader.Size == 4)
                {
                    Array.Resize(ref bytes, bytes.Length + 1);
                    BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 5);
                }

                break;
            case 5:
                bytes[1] = (byte)FrameType.StreamData; // stream 0
                bytes[3] = 0;
                bytes[4] = bytes[5] = bytes[6] = bytes[7] = 0;
                break;
            case 6:
                bytes[1] = (byte)FrameType.Message; // message with an id
                bytes[7] |= 1;
                break;
            case 7:
                bytes[1] = (byte)FrameType.Response; // a protocol byte on a frame that carries none
                bytes[2] = 0;
                bytes[3] = (byte)random.Next(1, 256);
                break;
            case 8:
                bytes[1] = (byte)FrameType.StreamReset; // a reset without its reason byte
                bytes[3] = 0;
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)random.Next(1, 1000));
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 0);
                Array.Resize(ref bytes, FrameHeader.Size);
                break;
            default:
                // A stream opened with the listener's parity (even), or with a payload: both refused.
                bytes[1] = (byte)FrameType.StreamOpen;
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)random.Next(1, 1000) * 2);
                break;
        }

        output.Write(bytes);
    }

    private static void Write(Stream output, FrameHeader header, byte[] payload)
    {
        Span<byte> head = stackalloc byte[FrameHeader.Size];
        header.WriteTo(head);
        output.Write(head);
        output.Write(payload);
    }
}
