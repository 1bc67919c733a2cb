using Overlay.Transport.Framing;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;

namespace Overlay.Transport.Tests.InMemory;

public sealed class BatchingWriterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(10);

    private static int CountFrames(byte[] batch)
    {
        var n = 0;
        ReadOnlySpan<byte> rest = batch;
        while (!rest.IsEmpty)
        {
            Assert.True(FrameReader.TryRead(rest, 1 << 20, out var header, out var error), error.ToString());
            rest = rest[header.FrameLength..];
            n++;
        }

        return n;
    }

    private static List<FrameType> Types(byte[] batch)
    {
        var types = new List<FrameType>();
        ReadOnlySpan<byte> rest = batch;
        while (!rest.IsEmpty)
        {
            Assert.True(FrameReader.TryRead(rest, 1 << 20, out var header, out var error), error.ToString());
            types.Add(header.Type);
            rest = rest[header.FrameLength..];
        }

        return types;
    }

    private static ValueTask Bulk(BatchingWriter writer, int size)
        => writer.WriteBulkAsync(new FrameHeader(FrameType.StreamData, FrameFlags.None, 1, size), new byte[size]);

    private static ValueTask Message(BatchingWriter writer, int size, bool urgent = false)
        => writer.WriteAsync(new FrameHeader(FrameType.Message, FrameFlags.None, 0, size, Protocol: 1), new byte[size], urgent);

    [Fact]
    public async Task Write_ThreeSmallMessages_LeaveAsOneBatchExactlyAtTheWindow()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });

        await Message(writer, 10);
        clock.Advance(TimeSpan.FromMilliseconds(3));
        await Message(writer, 20);
        await Message(writer, 30);

        // The window started with the first message: one tick before it closes nothing has left.
        clock.Advance(Window - TimeSpan.FromMilliseconds(3) - TimeSpan.FromTicks(1));
        Assert.Empty(link.Writes);

        clock.Advance(TimeSpan.FromTicks(1));
        var batch = Assert.Single(link.Writes);
        Assert.Equal(3, CountFrames(batch));
        Assert.Equal((3 * FrameHeader.Size) + 60, batch.Length);

        // Nothing more leaves later.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(link.Writes);
    }

    [Fact]
    public async Task Write_UrgentMessage_TakesTheQueuedOnesWithItAtOnce()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });

        await Message(writer, 5);
        await Message(writer, 6);
        await Message(writer, 7, urgent: true);

        var batch = Assert.Single(link.Writes);
        Assert.Equal(3, CountFrames(batch));

        // Order is kept: the urgent frame is last.
        Assert.True(FrameReader.TryRead(batch.AsSpan(2 * FrameHeader.Size + 11), 1 << 20, out var last, out _));
        Assert.Equal(7, last.PayloadLength);

        clock.Advance(Window);
        Assert.Single(link.Writes);
    }

    [Fact]
    public async Task Write_ReachingTheBatchSize_SendsWithoutWaiting()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        using var writer = new BatchingWriter(link, clock, Window, 4096, 1 << 20, _ => { });

        // Frames of 1,024 bytes: the fourth fills the 4,096-byte batch.
        for (var i = 0; i < 3; i++)
        {
            await Message(writer, 1024 - FrameHeader.Size);
        }

        Assert.Empty(link.Writes);
        await Message(writer, 1024 - FrameHeader.Size);
        var batch = Assert.Single(link.Writes);
        Assert.Equal(4, CountFrames(batch));

        // A frame that does not fit sends what is batched and starts a new batch.
        await Message(writer, 3000);
        await Message(writer, 2000);
        Assert.Equal(2, link.Writes.Count);
        Assert.Equal(1, CountFrames(link.Writes[1]));
    }

    [Fact]
    public async Task Write_UrgentWhileCorked_LeavesTogetherOnUncork_WithoutTheWindow()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });

        // As the connection does while it serves one read: the answers wait for the read to be done.
        writer.Cork();
        await Message(writer, 5, urgent: true);
        await Message(writer, 6, urgent: true);
        await Message(writer, 7, urgent: true);
        Assert.Empty(link.Writes);

        writer.Uncork();
        var batch = Assert.Single(link.Writes);
        Assert.Equal(3, CountFrames(batch));
        clock.Advance(Window);
        Assert.Single(link.Writes);
    }

    [Fact]
    public async Task Write_UrgentWhileTheLinkIsBusy_LeaveInOneWriteAfterIt()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink { Hold = true };
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });

        await Message(writer, 5, urgent: true);
        Assert.Single(link.Writes);
        await Message(writer, 6, urgent: true);
        await Message(writer, 7, urgent: true);
        Assert.Single(link.Writes);

        link.Release();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, link.Writes.Count);
        Assert.Equal(2, CountFrames(link.Writes[1]));
    }

    [Fact]
    public async Task Write_ZeroWindow_SendsEachFrameAlone()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        using var writer = new BatchingWriter(link, clock, TimeSpan.Zero, 65536, 1 << 20, _ => { });
        await Message(writer, 1);
        await Message(writer, 2);
        Assert.Equal(2, link.Writes.Count);
    }

    [Fact]
    public async Task Write_OverTheQueueLimit_WaitsUntilTheLinkCatchesUp()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink { Hold = true };
        using var writer = new BatchingWriter(link, clock, TimeSpan.Zero, 4096, 8192, _ => { });

        await Message(writer, 4000);
        await Message(writer, 4000);
        var blocked = Message(writer, 4000);
        Assert.False(blocked.IsCompleted);

        link.Release();
        await blocked.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, link.Writes.Count);
    }

    [Fact]
    public async Task Write_AfterClose_FailsWithTheCloseReason()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });
        await Message(writer, 1);
        writer.Dispose();
        clock.Advance(Window);
        Assert.Empty(link.Writes);
        var ex = await Assert.ThrowsAsync<TransportException>(async () => await Message(writer, 1));
        Assert.Equal(TransportError.Closed, ex.Reason);
    }

    [Fact]
    public async Task Flush_AfterTheConnectionClosedWhileTheLinkFailedAWrite_FailsAtOnceWithTheCloseReason()
    {
        // A connection closing (its goodbye is being written) while the peer's hang-up tears it down:
        // the writer is closed, then the write in flight fails. The closing side's flush, bounded only
        // on the connection's clock, must not wait for a drain that will never come.
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink { Hold = true };
        var faulted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => faulted.TrySetResult());

        await Message(writer, 1, urgent: true);
        Assert.Single(link.Writes);
        writer.Close(new TransportException(TransportError.PeerUnreachable, "The peer hung up."));
        link.Fail(new IOException("Broken pipe."));
        await faulted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var flush = writer.FlushAsync();
        Assert.True(flush.IsCompleted);
        var ex = await Assert.ThrowsAsync<TransportException>(() => flush);
        Assert.Equal(TransportError.PeerUnreachable, ex.Reason);
    }

    [Fact]
    public async Task WriteBulk_ControlQueuedBehindBulk_WaitsForOneBulkFrameOnly()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink { HoldEach = true };
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });
        const int payload = FrameHeader.BulkFrameBytes - FrameHeader.Size;

        for (var i = 0; i < 4; i++)
        {
            await Bulk(writer, payload);
        }

        // The first bulk frame is on the link; two answers arrive behind the three still queued.
        Assert.Single(link.Writes);
        await Message(writer, 10, urgent: true);
        await Message(writer, 11, urgent: true);

        link.ReleaseOne();
        Assert.Equal(2, link.Writes.Count);
        Assert.Equal([FrameType.Message, FrameType.Message], Types(link.Writes[1]));

        // Then the bulk frames, one per link write.
        for (var i = 0; i < 4; i++)
        {
            link.ReleaseOne();
        }

        Assert.Equal(5, link.Writes.Count);
        Assert.All(link.Writes.Skip(2), w => Assert.Equal([FrameType.StreamData], Types(w)));
        Assert.All(link.Writes.Skip(2), w => Assert.Equal(FrameHeader.BulkFrameBytes, w.Length));
    }

    [Fact]
    public async Task WriteBulk_NormalControlFrame_KeepsItsWindowWhileBulkFlows()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink();
        using var writer = new BatchingWriter(link, clock, Window, 65536, 1 << 20, _ => { });

        await Message(writer, 10);
        await Bulk(writer, 100);
        await Bulk(writer, 100);

        // Bulk does not wait for the control batch window, and does not carry the batched frame with it.
        Assert.Equal(2, link.Writes.Count);
        Assert.All(link.Writes, w => Assert.Equal([FrameType.StreamData], Types(w)));
        clock.Advance(Window);
        Assert.Equal([FrameType.Message], Types(link.Writes[2]));
    }

    [Fact]
    public async Task WriteBulk_OverTheBulkLimit_WaitsWhileControlStillQueuesAtOnce()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink { Hold = true };
        using var writer = new BatchingWriter(link, clock, TimeSpan.Zero, 4096, 8192, _ => { });

        await Bulk(writer, 4000);
        await Bulk(writer, 4000);
        var blocked = Bulk(writer, 4000);
        Assert.False(blocked.IsCompleted);

        // The control queue has its own limit: a request is never held back by bulk backpressure.
        var control = Message(writer, 4000, urgent: true).AsTask();
        Assert.True(control.IsCompletedSuccessfully);

        link.Release();
        await blocked.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([FrameType.StreamData], Types(link.Writes[0]));
        Assert.Equal([FrameType.Message], Types(link.Writes[1]));
        Assert.Equal(4, link.Writes.Count);
    }
}
