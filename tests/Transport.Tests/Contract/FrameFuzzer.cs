using Overlay.Transport.Framing;

namespace Overlay.Transport.Tests.Contract;

/// <summary>Seeded random frames: harmless ones a listener must survive and fatal ones it must refuse.</summary>
public static class FrameFuzzer
{
    /// <summary>
    /// <paramref name="harmless"/> well-formed but meaningless frames (unknown types, answers to
    /// nothing, data for unknown streams, pings), and with probability 3/4 one fatal frame at the end.
    /// </summary>
    public static byte[] Burst(Random random, int harmless, out int frames)
    {
        var output = new MemoryStream();
        for (var i = 0; i < harmless; i++)
        {
            WriteHarmless(random, output);
        }

        frames = harmless;
        if (random.Next(4) != 0)
        {
            WriteFatal(random, output);
            frames++;
        }

        return output.ToArray();
    }

    /// <summary>True when the burst ends in a frame the listener must close the connection for.</summary>
    public static bool ContainsFatal(ReadOnlySpan<byte> burst)
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
            else if (IsSemanticallyFatal(header))
            {
                return true;
            }

            burst = burst[header.FrameLength..];
        }

        return false;
    }

    private static bool IsSemanticallyFatal(FrameHeader h) => h.Type == FrameType.StreamOpen;

    public static void WriteHarmless(Random random, Stream output)
    {
        var payload = new byte[random.Next(0, 48)];
        random.NextBytes(payload);
        var id = (uint)random.Next(1, int.MaxValue);
        FrameHeader header;
        switch (random.Next(9))
        {
            case 0:
                header = new FrameHeader(FrameType.Request, FrameFlags.None, id, payload.Length);
                break;
            case 1:
                header = new FrameHeader(FrameType.Message, FrameFlags.None, 0, payload.Length);
                break;
            case 2:
                header = new FrameHeader(FrameType.Response, (FrameFlags)random.Next(4), id, payload.Length);
                break;
            case 3:
                payload = new byte[4];
                random.NextBytes(payload);
                header = new FrameHeader(FrameType.StreamWindow, FrameFlags.None, id, 4);
                break;
            case 4:
                header = new FrameHeader(FrameType.StreamData, FrameFlags.None, id | 0x4000_0000, payload.Length);
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
                payload = [];
                header = new FrameHeader(FrameType.StreamReset, FrameFlags.None, id | 0x4000_0000, 0);
                break;
            default:
                header = new FrameHeader((FrameType)random.Next(12, 256), (FrameFlags)random.Next(8), id, payload.Length);
                break;
        }

        Write(output, header, payload);
    }

    public static void WriteFatal(Random random, Stream output)
    {
        var bytes = new byte[FrameHeader.Size + random.Next(0, 32)];
        random.NextBytes(bytes);
        var header = new FrameHeader(FrameType.Request, FrameFlags.None, (uint)random.Next(), bytes.Length - FrameHeader.Size);
        header.WriteTo(bytes);
        switch (random.Next(8))
        {
            case 0:
                bytes[0] = (byte)random.Next(2, 256); // unsupported version
                break;
            case 1:
                bytes[3] = (byte)random.Next(1, 256); // reserved byte
                break;
            case 2:
                bytes[2] = (byte)(0x08 | random.Next(256)); // undefined flag bit
                break;
            case 3:
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), (uint)random.Next(1 << 21, int.MaxValue)); // oversized
                break;
            case 4:
                bytes[1] = (byte)FrameType.StreamWindow; // window update of the wrong size
                if (bytes.Length - FrameHeader.Size == 4)
                {
                    Array.Resize(ref bytes, bytes.Length + 1);
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 5);
                }

                break;
            case 5:
                bytes[1] = (byte)FrameType.StreamData; // stream 0
                bytes[4] = bytes[5] = bytes[6] = bytes[7] = 0;
                break;
            case 6:
                bytes[1] = (byte)FrameType.Message; // message with an id
                bytes[7] |= 1;
                break;
            default:
                // A stream opened with the listener's parity (even), or with a payload: both refused.
                bytes[1] = (byte)FrameType.StreamOpen;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)random.Next(1, 1000) * 2);
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
