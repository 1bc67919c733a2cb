using System.Buffers;
using System.IO.Pipelines;
using Overlay.Transport.Framing;
using Overlay.Transport.Mux;

namespace Overlay.Transport;

/// <summary>
/// A bidirectional, flow-controlled byte stream on a connection (shards, bulk transfers). The
/// sender may have at most the peer's receive window (<see cref="MuxConnection.InitialWindow"/>
/// plus what the peer granted since) in flight; writes wait for credit, which is the
/// backpressure. <see cref="CompleteWritesAsync"/> ends this side's direction; reads return 0
/// once the peer ended its direction. Errors throw <see cref="TransportException"/>.
/// </summary>
public sealed class TransportStream : Stream
{
    private readonly MuxConnection _owner;
    private readonly object _lock = new();
    private readonly Pipe _inbound;
    private long _sendCredit;
    private long _receiveAllowed;
    private long _received;
    private int _consumedSinceGrant;
    private TaskCompletionSource? _creditWaiter;
    private bool _writesCompleted;
    private bool _remoteEnded;
    private bool _localDone;
    private Exception? _failure;

    internal TransportStream(MuxConnection owner, uint id)
    {
        _owner = owner;
        Id = id;
        _sendCredit = MuxConnection.InitialWindow;
        _receiveAllowed = MuxConnection.InitialWindow;

        // Flow control already bounds what is buffered, so the pipe never pauses the receive loop;
        // continuations follow the reader's SynchronizationContext (the virtual-time scheduler).
        _inbound = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 4096, useSynchronizationContext: true));
    }

    /// <summary>The stream id on its connection (odd when the dialler opened it).</summary>
    public uint Id { get; }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

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
            result = await _inbound.Reader.ReadAsync(cancellationToken);
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

            await _owner.SendStreamFrameAsync(FrameType.StreamData, FrameFlags.None, Id, buffer[..chunk], cancellationToken);
            buffer = buffer[chunk..];
        }
    }

    /// <summary>Ends this side's direction: the peer's reads return 0 after what was written.</summary>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_writesCompleted || _failure is not null)
            {
                return;
            }

            _writesCompleted = true;
        }

        await _owner.SendStreamFrameAsync(FrameType.StreamData, FrameFlags.End, Id, ReadOnlyMemory<byte>.Empty, cancellationToken);
        MaybeFinished();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
        => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
        => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Ends the stream: completes writes if still open, and resets it if the peer's direction was
    /// not read to its end (so the peer does not wait for credit that will never come).
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        await DisposeCoreAsync();
        await base.DisposeAsync();
    }

    private async ValueTask DisposeCoreAsync()
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
                await _owner.SendStreamFrameAsync(FrameType.StreamReset, FrameFlags.None, Id, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
            }
            else if (sendFin)
            {
                await _owner.SendStreamFrameAsync(FrameType.StreamData, FrameFlags.End, Id, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
            }
        }
        catch (TransportException)
        {
            // The connection is already gone; there is nobody to tell.
        }

        await _inbound.Reader.CompleteAsync();
        _owner.ForgetStream(this);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeCoreAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
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

    internal void OnWindow(uint increment)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _sendCredit += increment;
            waiter = _creditWaiter;
            _creditWaiter = null;
        }

        waiter?.TrySetResult();
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
        lock (_lock)
        {
            _consumedSinceGrant += n;

            // Grant in halves of the window so a steady reader sends one update per half window.
            if (!_remoteEnded && _consumedSinceGrant >= MuxConnection.InitialWindow / 2)
            {
                grant = (uint)_consumedSinceGrant;
                _receiveAllowed += grant;
                _consumedSinceGrant = 0;
            }
        }

        if (grant > 0)
        {
            _owner.SendWindowUpdate(Id, grant);
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
            _owner.StreamFinished(this);
        }
    }
}
