using System.Buffers;
using Overlay.Transport.Framing;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.Framing;

public sealed class FrameReaderTests
{
    private const int Max = 64 * 1024;

    private static byte[] Encode(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[header.FrameLength];
        header.WriteTo(bytes);
        payload.CopyTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    [Fact]
    public void TryRead_ValidFrame_ReturnsHeaderAndPayload()
    {
        var bytes = Encode(new FrameHeader(FrameType.Request, FrameFlags.Urgent, 0x01020304, 3, Protocol: 2), "abc"u8);
        Assert.Equal([2, 1, 4, 2, 1, 2, 3, 4, 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c'], bytes);

        Assert.True(FrameReader.TryRead(bytes, Max, out var header, out var error));
        Assert.Equal(FrameError.None, error);
        Assert.Equal(new FrameHeader(FrameType.Request, FrameFlags.Urgent, 0x01020304, 3, 2), header);
    }

    [Fact]
    public void TryRead_EveryPrefix_IsIncompleteUntilTheLastByte()
    {
        var bytes = Encode(new FrameHeader(FrameType.Message, FrameFlags.None, 0, 5, Protocol: 9), "hello"u8);
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.False(FrameReader.TryRead(bytes.AsSpan(0, i), Max, out _, out var error));
            Assert.Equal(FrameError.Incomplete, error);
        }

        Assert.True(FrameReader.TryRead(bytes, Max, out _, out _));
    }

    [Theory]
    [InlineData(0, 1, FrameError.UnsupportedVersion)]
    [InlineData(0, 3, FrameError.UnsupportedVersion)]
    [InlineData(3, 0, FrameError.MissingProtocol)]
    [InlineData(2, 0x08, FrameError.UnknownFlags)]
    [InlineData(1, 200, FrameError.UnknownType)]
    public void TryRead_BadHeaderByte_ReportsTheReason(int offset, byte value, FrameError expected)
    {
        var bytes = Encode(new FrameHeader(FrameType.Message, FrameFlags.None, 0, 2, Protocol: 7), "hi"u8);
        bytes[offset] = value;
        Assert.False(FrameReader.TryRead(bytes, Max, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryRead_DeclaredLengthOverTheMaximum_IsRefusedFromTheHeaderAlone()
    {
        // Only the header exists: the reader must refuse without waiting for (or buffering) the payload.
        var header = new byte[FrameHeader.Size];
        new FrameHeader(FrameType.Request, FrameFlags.None, 1, Max, Protocol: 2).WriteTo(header);
        Assert.False(FrameReader.TryRead(header, Max, out _, out var error));
        Assert.Equal(FrameError.LengthTooLarge, error);

        new FrameHeader(FrameType.Request, FrameFlags.None, 1, Max - FrameHeader.Size, Protocol: 2).WriteTo(header);
        Assert.False(FrameReader.TryRead(header, Max, out _, out error));
        Assert.Equal(FrameError.Incomplete, error);
    }

    [Theory]
    [InlineData(FrameType.StreamWindow, FrameFlags.None, 1u, 3, 0, FrameError.BadPayloadLength)]
    [InlineData(FrameType.StreamWindow, FrameFlags.None, 0u, 4, 0, FrameError.BadId)]
    [InlineData(FrameType.StreamData, FrameFlags.None, 0u, 0, 0, FrameError.BadId)]
    [InlineData(FrameType.Message, FrameFlags.None, 7u, 0, 5, FrameError.BadId)]
    [InlineData(FrameType.Ping, FrameFlags.None, 0u, 1, 0, FrameError.BadPayloadLength)]
    [InlineData(FrameType.ProtocolError, FrameFlags.None, 0u, 2, 0, FrameError.BadPayloadLength)]
    [InlineData(FrameType.StreamReset, FrameFlags.None, 3u, 0, 0, FrameError.BadPayloadLength)]
    [InlineData(FrameType.Response, FrameFlags.Error, 3u, 0, 0, FrameError.BadPayloadLength)]
    [InlineData(FrameType.Response, FrameFlags.Error, 3u, 2, 0, FrameError.BadPayloadLength)]
    [InlineData(FrameType.Request, FrameFlags.None, 3u, 4, 0, FrameError.MissingProtocol)]
    [InlineData(FrameType.StreamOpen, FrameFlags.None, 3u, 0, 0, FrameError.MissingProtocol)]
    [InlineData(FrameType.Response, FrameFlags.None, 3u, 4, 2, FrameError.UnexpectedProtocol)]
    [InlineData(FrameType.StreamData, FrameFlags.End, 3u, 4, 2, FrameError.UnexpectedProtocol)]
    [InlineData(FrameType.StreamWindow, FrameFlags.None, 3u, 4, 1, FrameError.UnexpectedProtocol)]
    [InlineData(FrameType.StreamReset, FrameFlags.None, 3u, 1, 1, FrameError.UnexpectedProtocol)]
    [InlineData(FrameType.Ping, FrameFlags.None, 0u, 0, 255, FrameError.UnexpectedProtocol)]
    [InlineData(FrameType.GoAway, FrameFlags.None, 0u, 0, 1, FrameError.UnexpectedProtocol)]
    [InlineData(FrameType.ProtocolError, FrameFlags.None, 0u, 1, 2, FrameError.UnexpectedProtocol)]
    public void TryRead_TypeRuleBroken_ReportsTheReason(FrameType type, FrameFlags flags, uint id, int length, byte protocol, FrameError expected)
    {
        var bytes = Encode(new FrameHeader(type, flags, id, length, protocol), new byte[length]);
        Assert.False(FrameReader.TryRead(bytes, Max, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryRead_UnknownTypeInASequence_IsSkippedWhole()
    {
        var unknown = Encode(new FrameHeader((FrameType)77, FrameFlags.None, 9, 4), "zzzz"u8);
        var known = Encode(new FrameHeader(FrameType.Ping, FrameFlags.None, 5, 0), default);
        Assert.True(FrameReader.TryRead(Encode(new FrameHeader((FrameType)77, FrameFlags.None, 9, 0, Protocol: 3), default), Max, out _, out var anyProtocol) || anyProtocol == FrameError.UnknownType);
        var buffer = new ReadOnlySequence<byte>([.. unknown, .. known]);

        Assert.False(FrameReader.TryRead(ref buffer, Max, out var skipped, out var error));
        Assert.Equal(FrameError.UnknownType, error);
        Assert.Equal((FrameType)77, skipped.Header.Type);
        Assert.True(FrameReader.TryRead(ref buffer, Max, out var ping, out _));
        Assert.Equal(FrameType.Ping, ping.Header.Type);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryRead_FrameSplitAcrossSegments_ReadsTheSameAsContiguous()
    {
        var bytes = Encode(new FrameHeader(FrameType.Response, FrameFlags.Urgent, 42, 10), "0123456789"u8);
        for (var split = 1; split < bytes.Length; split++)
        {
            var buffer = TwoSegments(bytes, split);
            Assert.True(FrameReader.TryRead(ref buffer, Max, out var frame, out _), $"split {split}");
            Assert.Equal(42u, frame.Header.Id);
            Assert.Equal("0123456789"u8.ToArray(), frame.Payload.ToArray());
        }
    }

    [Fact]
    public void TryRead_HundredThousandRandomAndMutatedInputs_NeverThrowsAndAgreesAcrossOverloads()
    {
        var random = new Random(20260101);
        var frames = new List<byte[]>();
        for (var i = 0; i < 500; i++)
        {
            var one = new MemoryStream();
            FrameFuzzer.WriteHarmless(random, one);
            frames.Add(one.ToArray());
        }

        var seen = new HashSet<FrameError>();
        for (var i = 0; i < 120_000; i++)
        {
            byte[] input;
            if (i % 4 == 0)
            {
                input = new byte[random.Next(0, 80)];
                random.NextBytes(input);
            }
            else
            {
                // A single-byte mutation of a valid frame, in the header half of the time.
                input = (byte[])frames[random.Next(frames.Count)].Clone();
                var at = i % 2 == 0 ? random.Next(FrameHeader.Size) : random.Next(input.Length);
                input[at] = (byte)random.Next(256);
            }

            var spanOk = FrameReader.TryRead(input, Max, out var header, out var spanError);
            var sequence = input.Length > 1 ? TwoSegments(input, random.Next(1, input.Length)) : new ReadOnlySequence<byte>(input);
            var before = sequence.Length;
            var seqOk = FrameReader.TryRead(ref sequence, Max, out var frame, out var seqError);
            Assert.Equal(spanOk, seqOk);
            Assert.Equal(spanError, seqError);
            seen.Add(spanError);
            if (spanOk)
            {
                Assert.Equal(header, frame.Header);
                Assert.Equal(header.PayloadLength, frame.Payload.Length);
                Assert.Equal(before - header.FrameLength, sequence.Length);
            }
            else if (spanError != FrameError.UnknownType)
            {
                Assert.Equal(before, sequence.Length);
            }
        }

        // The corpus reached every kind of outcome.
        foreach (var e in Enum.GetValues<FrameError>())
        {
            Assert.Contains(e, seen);
        }
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split));
        var last = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
