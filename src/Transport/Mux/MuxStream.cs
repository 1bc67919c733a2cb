using System.Buffers;
using System.IO.Pipelines;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// A <see cref="TransportStream"/> carried in frames on a <see cref="MuxConnection"/> (TCP+TLS and the
/// in-memory network). Each direction starts with <see cref="MuxConnection.InitialWindow"/> bytes of
/// credit; each side then grants the peer the rest of its configured receive window
/// (<see cref="TransportOptions.StreamWindowBytes"/>) at once, and refills it with a StreamWindow frame
/// whenever the reader has consumed half of it. A bulk stream's window may grow as it runs
/// (<see cref="ReceiveWindowTuner"/>); the growth is granted at once. Data beyond the window, and credit
/// beyond <see cref="TransportOptions.MaxStreamWindowBytes"/>, are protocol violations.
/// </summary>
internal sealed class MuxStream : TransportStream
{
    /// <summary>
    /// The least credit a sender uses for less than a whole frame: a quarter of the protocol's initial
    /// window, so more than half of any window is outstanding while it waits (the peer grants at half).
    /// </summary>
    private const int MinPartialChunk = MuxConnection.InitialWindow / 4;

    private readonly MuxConnection _owner;
    private readonly object _lock = new();
    private readonly Pipe _inbound;
    private readonly ReceiveWindowTuner? _tuner;
    private int _receiveWindow;
    private long _sendCredit;
    private long _receiveAllowed;
    private long _received;
    private int _consumedSinceGrant;
    private TaskCompletionSource? _creditWaiter;
    private bool _writesCompleted;
    private bool _remoteEnded;
    private bool _localDone;
    private Exception? _failure;

    /// <param name="owner">The connection.</param>
    /// <param name="protocol">The protocol the stream serves; its class picks the send queue.</param>
    /// <param name="id">The stream id.</param>
    /// <param name="receiveWindow">This side's receive window, at least <see cref="MuxConnection.InitialWindow"/>.</param>
    /// <param name="tuner">Grows the receive window (bulk streams); null for a fixed window.</param>
    public MuxStream(MuxConnection owner, ProtocolId protocol, uint id, int receiveWindow, ReceiveWindowTuner? tuner = null)
        : base(protocol, id)
    {
        _owner = owner;
        FrameId = id;
        _tuner = tuner;
        _receiveWindow = Math.Max(receiveWindow, MuxConnection.InitialWindow);
        _sendCredit = MuxConnection.InitialWindow;
        _receiveAllowed = _receiveWindow;

        // Flow control already bounds what is buffered, so the pipe never pauses the receive loop;
        // continuations follow the reader's SynchronizationContext (the virtual-time scheduler).
        _inbound = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 4096, useSynchronizationContext: true));
    }

    /// <summary>The stream id in frame headers.</summary>
    public uint FrameId { get; }

    /// <summary>
    /// Credit this side grants beyond the protocol's initial window, sent once right after the stream
    /// is opened or accepted (0 when the configured window is the initial one).
    /// </summary>
    public uint InitialGrant => (uint)(_receiveWindow - MuxConnection.InitialWindow);

    /// <summary>This side's current receive window in bytes (tests).</summary>
    internal int ReceiveWindow
    {
        get
        {
            lock (_lock)
            {
                return _receiveWindow;
            }
        }
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        ReadResult result;
        try
        {
            if (_tuner is null || !_inbound.Reader.TryRead(out result))
            {
                if (_tuner is not null)
                {
                    lock (_lock)
                    {
                        _tuner.ReaderWaiting();
                    }
                }

                result = await _inbound.Reader.ReadAsync(cancellationToken);
            }
        }
        catch (InvalidOperationException)
        {
            // The reader was completed by Dispose.
            throw new ObjectDisposedException(nameof(TransportStream));
        }

        var data = result.Buffer;
        if (data.IsEmpty)
        {
            _inbound.Reader.AdvanceTo(data.End);
            return 0;
        }

        var n = (int)Math.Min(data.Length, buffer.Length);
        data.Slice(0, n).CopyTo(buffer.Span);
        _inbound.Reader.AdvanceTo(data.GetPosition(n));
        Consumed(n);
        return n;
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var maxChunk = _owner.MaxStreamChunk;
        while (!buffer.IsEmpty)
        {
            int chunk;
            TaskCompletionSource? wait = null;
            lock (_lock)
            {
                if (_failure is not null)
                {
                    throw _failure;
                }

                if (_writesCompleted)
                {
                    throw new InvalidOperationException("Writes on this stream were completed.");
                }

                chunk = (int)Math.Min(Math.Min(_sendCredit, buffer.Length), maxChunk);
                if (chunk < Math.Min(buffer.Length, maxChunk) && chunk < MinPartialChunk)
                {
                    // Too little credit for the next whole frame: wait for the grant rather than send
                    // a sliver in a frame (and a wake-up of the reader) of its own. The grant comes: the
                    // peer grants once it has read half its window, and all but this little is unread.
                    chunk = 0;
                }

                if (chunk == 0)
                {
                    _creditWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _creditWaiter;
                }
                else
                {
                    _sendCredit -= chunk;
                }
            }

            if (wait is not null)
            {
                await Waits.WaitAsync(wait, cancellationToken);
                continue;
            }

            await _owner.SendStreamFrameAsync(this, FrameType.StreamData, FrameFlags.None, buffer[..chunk], cancellationToken);
            buffer = buffer[chunk..];
        }
    }

    /// <inheritdoc/>
    public override async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_writesCompleted || _failure is not null)
            {
                return;
            }

            _writesCompleted = true;
        }

        await _owner.SendStreamFrameAsync(this, FrameType.StreamData, FrameFlags.End, ReadOnlyMemory<byte>.Empty, cancellationToken);
        MaybeFinished();
    }

    /// <inheritdoc/>
    internal override async ValueTask CloseAsync(ProtocolRefusal reason)
    {
        bool sendFin, sendReset;
        lock (_lock)
        {
            if (_localDone)
            {
                return;
            }

            _localDone = true;
            sendFin = !_writesCompleted && _failure is null;
            sendReset = !_remoteEnded && _failure is null;
            _writesCompleted = true;
        }

        try
        {
            if (sendReset)
            {
                await _owner.SendResetAsync(this, reason);
            }
            else if (sendFin)
            {
                await _owner.SendStreamFrameAsync(this, FrameType.StreamData, FrameFlags.End, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
            }
        }
        catch (TransportException)
        {
            // The connection is already gone; there is nobody to tell.
        }

        await _inbound.Reader.CompleteAsync();
        _owner.ForgetStream(this);
    }

    /// <summary>Inbound data from the receive loop. False when the peer overran its window.</summary>
    internal bool OnData(ReadOnlySequence<byte> payload, bool end)
    {
        lock (_lock)
        {
            if (_remoteEnded)
            {
                return false;
            }

            _received += payload.Length;
            if (_received > _receiveAllowed)
            {
                return false;
            }

            if (end)
            {
                _remoteEnded = true;
            }

            if (_localDone || _failure is not null)
            {
                // Nobody reads any more; the bytes still counted against the window above.
                return true;
            }
        }

        var writer = _inbound.Writer;
        foreach (var segment in payload)
        {
            writer.Write(segment.Span);
        }

        // Never blocks: the pipe has no pause threshold.
        var flush = writer.FlushAsync();
        _ = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
        if (end)
        {
            writer.Complete();
            MaybeFinished();
        }

        return true;
    }

    /// <summary>A StreamWindow from the peer. False when it would give more credit than any window may hold (the caller closes the connection).</summary>
    internal bool OnWindow(uint increment)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            // A receiver's credit never exceeds its window, and no window exceeds the protocol's maximum.
            if (_sendCredit + increment > TransportOptions.MaxStreamWindowBytes)
            {
                return false;
            }

            _sendCredit += increment;
            waiter = _creditWaiter;
            _creditWaiter = null;
        }

        waiter?.TrySetResult();
        return true;
    }

    /// <summary>The peer reset the stream or the connection died.</summary>
    internal void Fail(TransportException failure)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = failure;
            _remoteEnded = true;
            waiter = _creditWaiter;
            _creditWaiter = null;
        }

        waiter?.TrySetException(failure);
        _inbound.Writer.Complete(failure);
    }

    private void Consumed(int n)
    {
        uint grant = 0;
        var grown = 0;
        lock (_lock)
        {
            _consumedSinceGrant += n;
            if (!_remoteEnded && _tuner is not null && _tuner.OnConsumed(n) is > 0 and var growth)
            {
                // The window grew: the growth goes to the peer at once, with what was consumed.
                _receiveWindow += growth;
                grown = _receiveWindow;
                grant = (uint)(_consumedSinceGrant + growth);
                _receiveAllowed += grant;
                _consumedSinceGrant = 0;
            }

            // Refill in halves of the window so a steady reader sends one update per half window.
            else if (!_remoteEnded && _consumedSinceGrant >= _receiveWindow / 2)
            {
                grant = (uint)_consumedSinceGrant;
                _receiveAllowed += grant;
                _consumedSinceGrant = 0;
            }
        }

        if (grant > 0)
        {
            _owner.SendWindowUpdate(FrameId, grant);
        }

        if (_tuner is not null)
        {
            if (grown > 0)
            {
                _owner.BulkWindows.Grew(grown);
            }

            // The tuner needs the connection's round trip; the connection pings when a sample is due.
            _owner.BulkWindows.Probe(_tuner.SampleWantedAfter);
        }
    }

    private void MaybeFinished()
    {
        bool done;
        lock (_lock)
        {
            done = _writesCompleted && _remoteEnded;
        }

        if (done)
        {
            _owner.ForgetStream(this);
        }
    }
}
