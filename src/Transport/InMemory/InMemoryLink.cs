using System.Buffers;
using Overlay.Transport.Mux;

namespace Overlay.Transport.InMemory;

/// <summary>
/// One end of a simulated connection. Segments are delivered in order after the link's delay,
/// serialisation time and any retransmission delay, each as a timer on the virtual clock. On a link
/// with a rate limit a write completes only once its bytes are serialised, as a socket with a small
/// send buffer does: the sender's queue, not the wire, is where frames wait, so what the connection
/// sends first (control before bulk) is what leaves first.
/// </summary>
internal sealed class InMemoryLink : IFrameLink
{
    private readonly InMemoryTransport _local;
    private readonly InMemoryTransport _remoteNode;
    private long _lastArrival;
    private long _busyUntil;
    private byte[]? _partial;
    private int _partialLength;
    private bool _sendClosed;
    private bool _receiveClosed;

    public InMemoryLink(InMemoryTransport local, InMemoryTransport remoteNode)
    {
        _local = local;
        _remoteNode = remoteNode;
    }

    public InMemoryLink Remote { get; set; } = null!;

    public MuxConnection? Connection { get; set; }

    /// <summary>
    /// 16 KiB bulk frames. A simulated link takes one write at a time, so a control frame behind bulk
    /// waits for exactly the frame being written; a real TCP sender's socket buffers hold up to a
    /// stream window ahead of it whatever the frame size, and it uses the larger frames for their lower
    /// cost per byte.
    /// </summary>
    public int BulkFrameBytes => SimulatedBulkFrameBytes;

    /// <summary>The bulk frame size of simulated links, header included.</summary>
    internal const int SimulatedBulkFrameBytes = 16 * 1024;

    private InMemoryNetwork Network => _local.Network;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
    {
        if (_sendClosed)
        {
            return ValueTask.FromException(new TransportException(TransportError.Closed, "The link is closed."));
        }

        if (!Network.Reachable(_local.Index, _remoteNode.Index))
        {
            // A segment into a partition never arrives; the reliable stream behind it is broken.
            Connection?.OnLinkClosed(TransportError.PeerUnreachable);
            Remote.Connection?.OnLinkClosed(TransportError.PeerUnreachable);
            return ValueTask.FromException(new TransportException(TransportError.PeerUnreachable, "The peer is on the other side of a partition."));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(frames.Length);
        frames.Span.CopyTo(buffer);
        var serialised = Schedule(new Segment(this, SegmentKind.Data, buffer, frames.Length), frames.Length);
        if (serialised <= Network.Clock.GetTimestamp())
        {
            return default;
        }

        var done = new Serialised();
        Network.Clock.Schedule(done, serialised);
        return new ValueTask(done.Task);
    }

    public ValueTask ShutdownAsync()
    {
        if (!_sendClosed)
        {
            _sendClosed = true;
            Schedule(new Segment(this, SegmentKind.Fin, null, 0), 0);
        }

        return default;
    }

    public void Abort()
    {
        _receiveClosed = true;
        ReleasePartial();
        _local.Forget(this);
        if (!_sendClosed)
        {
            _sendClosed = true;
            Schedule(new Segment(this, SegmentKind.Reset, null, 0), 0);
        }
    }

    /// <summary>Delivers raw bytes to the remote end as if this end had sent them (protocol fuzzing).</summary>
    internal void InjectRaw(ReadOnlySpan<byte> bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes.Length));
        bytes.CopyTo(buffer);
        Schedule(new Segment(this, SegmentKind.Data, buffer, bytes.Length), bytes.Length);
    }

    /// <summary>Puts <paramref name="segment"/> on the wire; returns the timestamp its last byte is serialised at.</summary>
    private long Schedule(Segment segment, int bytes)
    {
        var clock = Network.Clock;
        var now = clock.GetTimestamp();
        var link = Network.LinkOf(_local.Index, _remoteNode.Index);
        var start = Math.Max(now, _busyUntil);
        var transmit = link.BytesPerSecond > 0 ? bytes * TimeSpan.TicksPerSecond / link.BytesPerSecond : 0;
        _busyUntil = start + transmit;

        // Jitter may not reorder a stream: a segment never overtakes the one before it.
        var arrival = Math.Max(start + transmit + Network.DelayOf(_local.Index, _remoteNode.Index).Ticks, _lastArrival);
        _lastArrival = arrival;
        clock.Schedule(segment, arrival);
        return _busyUntil;
    }

    private void Receive(Segment segment)
    {
        if (_receiveClosed || Connection is null)
        {
            return;
        }

        switch (segment.Kind)
        {
            case SegmentKind.Fin:
                Connection.OnLinkClosed(TransportError.Closed);
                return;
            case SegmentKind.Reset:
                Connection.OnLinkClosed(TransportError.PeerUnreachable);
                return;
        }

        ReadOnlySequence<byte> data;
        if (_partialLength > 0)
        {
            // Only a peer that sent a torn frame leaves bytes behind; keep them with the next segment.
            var joined = ArrayPool<byte>.Shared.Rent(_partialLength + segment.Length);
            _partial.AsSpan(0, _partialLength).CopyTo(joined);
            segment.Buffer.AsSpan(0, segment.Length).CopyTo(joined.AsSpan(_partialLength));
            var length = _partialLength + segment.Length;
            ReleasePartial();
            _partial = joined;
            _partialLength = length;
            data = new ReadOnlySequence<byte>(joined, 0, length);
        }
        else
        {
            data = new ReadOnlySequence<byte>(segment.Buffer!, 0, segment.Length);
        }

        var ok = Connection.ProcessInbound(ref data);
        var rest = (int)data.Length;
        if (!ok || rest == 0)
        {
            ReleasePartial();
            return;
        }

        var keep = ArrayPool<byte>.Shared.Rent(rest);
        data.CopyTo(keep);
        ReleasePartial();
        _partial = keep;
        _partialLength = rest;
    }

    private void ReleasePartial()
    {
        if (_partial is not null)
        {
            ArrayPool<byte>.Shared.Return(_partial);
            _partial = null;
        }

        _partialLength = 0;
    }

    internal enum SegmentKind : byte
    {
        Data,
        Fin,
        Reset,
    }

    // Completes a write once the link has serialised it.
    private sealed class Serialised : VirtualTimeProvider.ScheduledEvent
    {
        private readonly TaskCompletionSource _done = new();

        public Task Task => _done.Task;

        public override void Fire() => _done.TrySetResult();
    }

    // A segment is its own clock event: one object per segment, no timer beside it.
    private sealed class Segment(InMemoryLink from, SegmentKind kind, byte[]? buffer, int length) : VirtualTimeProvider.ScheduledEvent
    {
        public SegmentKind Kind { get; } = kind;

        public byte[]? Buffer { get; } = buffer;

        public int Length { get; } = length;

        public override void Fire()
        {
            from.Network.Record(from._local.Index, from._remoteNode.Index, Length, Kind);
            try
            {
                from.Remote.Receive(this);
            }
            finally
            {
                if (Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(Buffer);
                }
            }
        }
    }
}
