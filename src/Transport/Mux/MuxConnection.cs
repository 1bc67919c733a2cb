using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// The connection every transport hands out: requests, one-way messages and flow-controlled
/// streams multiplexed as frames (docs/PROTOCOL.md) over one ordered byte link. TCP+TLS, QUIC and
/// the in-memory network differ only in the <see cref="IFrameLink"/> below and in who calls
/// <see cref="ProcessInbound"/>.
/// </summary>
internal sealed class MuxConnection : ITransportConnection
{
    /// <summary>Bytes a stream sender may have in flight before the first window update (protocol constant).</summary>
    public const int InitialWindow = 256 * 1024;

    private readonly IFrameLink _link;
    private readonly IInboundHandler _handler;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BatchingWriter _writer;
    private readonly CancellationTokenSource _closedSource = new();
    private readonly object _lock = new();
    private readonly Dictionary<uint, TaskCompletionSource<TransportResponse>> _pending = [];
    private readonly Dictionary<uint, TransportStream> _streams = [];
    private readonly ITimer _keepAlive;
    private uint _nextRequestId;
    private uint _nextStreamId;
    private int _inboundRequests;
    private int _active;
    private long _lastReceive;
    private long _lastActivity;
    private int _closing;
    private TransportError? _closeReason;
    private bool _goingAway;

    public MuxConnection(
        IFrameLink link, TransportScheme scheme, PeerId remotePeer, TransportAddress remoteAddress, bool isInitiator,
        IInboundHandler handler, TransportOptions options, TimeProvider time, ILogger logger)
    {
        _link = link;
        Scheme = scheme;
        RemotePeer = remotePeer;
        RemoteAddress = remoteAddress;
        IsInitiator = isInitiator;
        _handler = handler;
        _options = options;
        _time = time;
        _logger = logger;
        _nextStreamId = isInitiator ? 1u : 2u;
        _lastReceive = _lastActivity = time.GetTimestamp();
        MaxStreamChunk = Math.Min(options.MaxFrameBytes - FrameHeader.Size, 64 * 1024);
        _writer = new BatchingWriter(link, time, options.BatchWindow, options.MaxBatchBytes, options.MaxQueuedSendBytes, OnLinkFault);
        _keepAlive = time.CreateTimer(static s => ((MuxConnection)s!).OnKeepAliveTick(), this, options.KeepAliveInterval, options.KeepAliveInterval);
        TransportMetrics.Opened(scheme);
    }

    public TransportScheme Scheme { get; }

    public PeerId RemotePeer { get; }

    public TransportAddress RemoteAddress { get; }

    public bool IsInitiator { get; }

    public CancellationToken Closed => _closedSource.Token;

    public TransportError? CloseReason => Volatile.Read(ref _closing) != 0 ? _closeReason : null;

    public int ActiveOperations => Volatile.Read(ref _active);

    public long LastActivityTimestamp => Interlocked.Read(ref _lastActivity);

    /// <summary>Largest StreamData payload sent: small enough to interleave streams fairly.</summary>
    internal int MaxStreamChunk { get; }

    /// <summary>The link under this connection (tests inject raw bytes through it).</summary>
    internal IFrameLink Link => _link;

    /// <summary>Bytes queued for sending (tests and benchmarks).</summary>
    internal long QueuedBytes => _writer.QueuedBytes;

    public async ValueTask<TransportResponse> RequestAsync(ReadOnlyMemory<byte> request, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default)
    {
        CheckPayload(request.Length);
        var completion = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        uint id;
        lock (_lock)
        {
            ThrowIfClosing();
            id = ++_nextRequestId;
            _pending.Add(id, completion);
        }

        Interlocked.Increment(ref _active);

        // The timeout and the caller's token complete the same source the response does, so the
        // wait is one plain await (see Waits for why no combinator is used).
        using var timeout = _time.CreateTimer(
            static s =>
            {
                var (c, peer, after) = ((TaskCompletionSource<TransportResponse>, PeerId, TimeSpan))s!;
                c.TrySetException(new TransportException(TransportError.Timeout, $"No response from {peer} within {after}."));
            },
            (completion, RemotePeer, _options.RequestTimeout),
            _options.RequestTimeout,
            Timeout.InfiniteTimeSpan);
        using var registration = cancellationToken.Register(static (s, ct) => ((TaskCompletionSource<TransportResponse>)s!).TrySetCanceled(ct), completion);
        try
        {
            var urgent = priority == MessagePriority.High;
            await Send(new FrameHeader(FrameType.Request, urgent ? FrameFlags.Urgent : FrameFlags.None, id, request.Length), request, urgent, cancellationToken);
            return await completion.Task;
        }
        finally
        {
            lock (_lock)
            {
                _pending.Remove(id);
            }

            Interlocked.Decrement(ref _active);
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default)
    {
        CheckPayload(message.Length);
        ThrowIfClosing();
        return Send(new FrameHeader(FrameType.Message, FrameFlags.None, 0, message.Length), message, priority == MessagePriority.High, cancellationToken);
    }

    public async ValueTask<TransportStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        TransportStream stream;
        lock (_lock)
        {
            ThrowIfClosing();
            if (_streams.Count >= _options.MaxStreamsPerConnection)
            {
                throw new TransportException(TransportError.LimitExceeded, $"The connection already has {_streams.Count} open streams, the configured maximum.");
            }

            stream = new TransportStream(this, _nextStreamId);
            _nextStreamId += 2;
            _streams.Add(stream.Id, stream);
        }

        Interlocked.Increment(ref _active);
        await Send(new FrameHeader(FrameType.StreamOpen, FrameFlags.None, stream.Id, 0), ReadOnlyMemory<byte>.Empty, urgent: false, cancellationToken);
        return stream;
    }

    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _closing, 1, 0) != 0)
        {
            return;
        }

        _closeReason = TransportError.Closed;
        try
        {
            // Tell the peer, let queued frames leave, then end the link; bounded by the handshake timeout.
            await _writer.WriteAsync(new FrameHeader(FrameType.GoAway, FrameFlags.None, 0, 0), default, urgent: true, cancellationToken);
            if (await Waits.CompletesWithinAsync(_writer.FlushAsync(), _options.HandshakeTimeout, _time))
            {
                await _link.ShutdownAsync();
            }
        }
        catch (Exception ex) when (ex is TransportException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing anyway: the peer learns from the link going away.
        }

        Teardown(TransportError.Closed);
    }

    public ValueTask DisposeAsync() => CloseAsync();

    /// <summary>
    /// Decodes and serves every whole frame at the front of <paramref name="buffer"/>, advancing it.
    /// Returns false when the peer broke the protocol; the connection is then closing.
    /// </summary>
    public bool ProcessInbound(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return true;
        }

        Interlocked.Exchange(ref _lastReceive, _time.GetTimestamp());
        var before = buffer.Length;

        // Answers to the requests in this read leave in one write when it has been served.
        _writer.Cork();
        try
        {
            return ProcessFrames(ref buffer);
        }
        finally
        {
            _writer.Uncork();
            TransportMetrics.Received(before - buffer.Length);
        }
    }

    private bool ProcessFrames(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (Volatile.Read(ref _closing) != 0 && _closeReason != TransportError.Closed)
            {
                return false;
            }

            if (FrameReader.TryRead(ref buffer, _options.MaxFrameBytes, out var frame, out var error))
            {
                if (!Dispatch(frame))
                {
                    return false;
                }

                continue;
            }

            switch (error)
            {
                case FrameError.Incomplete:
                    return true;
                case FrameError.UnknownType:
                    // A newer peer may send types we do not know: tell it, skip the frame, keep serving.
                    Dropped(error);
                    SendProtocolError(error);
                    continue;
                case FrameError.UnsupportedVersion:
                    Dropped(error);
                    SendProtocolError(error);
                    Fail(TransportError.ProtocolViolation, graceful: true);
                    return false;
                default:
                    Dropped(error);
                    Fail(TransportError.ProtocolViolation, graceful: true);
                    return false;
            }
        }
    }

    /// <summary>The link ended: the peer closed it, died, or the network failed.</summary>
    public void OnLinkClosed(TransportError reason) => Teardown(reason);

    internal ValueTask SendStreamFrameAsync(FrameType type, FrameFlags flags, uint id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return ValueTask.FromException(ClosedException());
        }

        return Send(new FrameHeader(type, flags, id, payload.Length), payload, urgent: false, cancellationToken);
    }

    internal void SendWindowUpdate(uint id, uint grant)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, grant);

        // Window updates unblock a waiting sender: they never wait for the batch window.
        Observe(_writer.WriteAsync(new FrameHeader(FrameType.StreamWindow, FrameFlags.None, id, 4), payload, urgent: true));
    }

    internal void StreamFinished(TransportStream stream) => ForgetStream(stream);

    internal void ForgetStream(TransportStream stream)
    {
        bool removed;
        lock (_lock)
        {
            removed = _streams.TryGetValue(stream.Id, out var known) && ReferenceEquals(known, stream) && _streams.Remove(stream.Id);
        }

        if (removed)
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private ValueTask Send(FrameHeader header, ReadOnlyMemory<byte> payload, bool urgent, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
        return _writer.WriteAsync(header, payload.Span, urgent, cancellationToken);
    }

    private bool Dispatch(in Frame frame)
    {
        var h = frame.Header;
        if (h.Type is not (FrameType.Ping or FrameType.Pong or FrameType.StreamWindow or FrameType.ProtocolError))
        {
            // Keep-alives and flow control are not use: a pool must still see the connection as idle.
            Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
        }

        switch (h.Type)
        {
            case FrameType.Request:
                ServeRequest(h, frame.Payload);
                return true;
            case FrameType.Response:
                CompleteRequest(h, frame.Payload);
                return true;
            case FrameType.Message:
                ServeMessage(frame.Payload);
                return true;
            case FrameType.StreamOpen:
                return AcceptStream(h);
            case FrameType.StreamData:
                return StreamData(h, frame.Payload);
            case FrameType.StreamWindow:
                {
                    Span<byte> grant = stackalloc byte[4];
                    frame.Payload.CopyTo(grant);
                    var increment = BinaryPrimitives.ReadUInt32BigEndian(grant);
                    if (TryGetStream(h.Id, out var stream))
                    {
                        stream.OnWindow(increment);
                    }

                    return true;
                }

            case FrameType.StreamReset:
                if (TryGetStream(h.Id, out var reset))
                {
                    reset.Fail(new TransportException(TransportError.Closed, $"The peer reset stream {h.Id}."));
                    ForgetStream(reset);
                }

                return true;
            case FrameType.Ping:
                Observe(_writer.WriteAsync(new FrameHeader(FrameType.Pong, FrameFlags.None, h.Id, 0), default, urgent: true));
                return true;
            case FrameType.Pong:
                return true;
            case FrameType.GoAway:
                lock (_lock)
                {
                    _goingAway = true;
                }

                _ = CloseAsync().AsTask();
                return true;
            case FrameType.ProtocolError:
                TransportMetrics.Dropped("remote_protocol_error");
                return true;
            default:
                return true;
        }
    }

    private void ServeRequest(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        if (Interlocked.Increment(ref _inboundRequests) > _options.MaxConcurrentRequests || Volatile.Read(ref _closing) != 0)
        {
            Interlocked.Decrement(ref _inboundRequests);
            Dropped("request_limit");
            Observe(_writer.WriteAsync(new FrameHeader(FrameType.Response, FrameFlags.Error, h.Id, 0), default, urgent: true));
            return;
        }

        Interlocked.Increment(ref _active);
        var length = (int)payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        payload.CopyTo(buffer);
        _ = ServeRequestAsync(h.Id, (h.Flags & FrameFlags.Urgent) != 0, buffer, length);
    }

    private async Task ServeRequestAsync(uint id, bool urgent, byte[] request, int length)
    {
        var response = new PooledBufferWriter();
        try
        {
            var failed = false;
            try
            {
                await _handler.HandleRequestAsync(this, request.AsMemory(0, length), response, Closed);
                if (response.WrittenCount > _options.MaxFrameBytes - FrameHeader.Size)
                {
                    failed = true;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !Closed.IsCancellationRequested)
            {
                // A failing handler answers this request with an error; it must not take the connection down.
                Log.HandlerFailed(_logger, RemotePeer.ToString(), ex);
                failed = true;
            }

            var flags = (failed ? FrameFlags.Error : FrameFlags.None) | (urgent ? FrameFlags.Urgent : FrameFlags.None);
            var body = failed ? ReadOnlyMemory<byte>.Empty : response.WrittenMemory;
            await Send(new FrameHeader(FrameType.Response, flags, id, body.Length), body, urgent, CancellationToken.None);
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException)
        {
            // The connection closed while serving; the requester learns from that.
        }
        finally
        {
            response.Dispose();
            ArrayPool<byte>.Shared.Return(request);
            Interlocked.Decrement(ref _inboundRequests);
            Interlocked.Decrement(ref _active);
        }
    }

    private void CompleteRequest(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        TaskCompletionSource<TransportResponse>? completion;
        lock (_lock)
        {
            _pending.Remove(h.Id, out completion);
        }

        if (completion is null)
        {
            // Late answer to a request that timed out or was cancelled.
            Dropped("unexpected_response");
            return;
        }

        if ((h.Flags & FrameFlags.Error) != 0)
        {
            completion.TrySetException(new TransportException(TransportError.RemoteError, $"{RemotePeer} could not serve the request."));
        }
        else
        {
            var response = new TransportResponse(payload);
            if (!completion.TrySetResult(response))
            {
                // The request timed out or was cancelled at the same moment.
                response.Dispose();
            }
        }
    }

    private void ServeMessage(ReadOnlySequence<byte> payload)
    {
        var length = (int)payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        payload.CopyTo(buffer);
        _ = ServeMessageAsync(buffer, length);
    }

    private async Task ServeMessageAsync(byte[] message, int length)
    {
        try
        {
            await _handler.HandleMessageAsync(this, message.AsMemory(0, length), Closed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Closed.IsCancellationRequested)
        {
            Log.HandlerFailed(_logger, RemotePeer.ToString(), ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    private bool AcceptStream(FrameHeader h)
    {
        // Stream ids are odd from the dialler and even from the listener, so the two never collide.
        var remoteOpensOdd = !IsInitiator;
        if (((h.Id & 1) == 1) != remoteOpensOdd || h.PayloadLength != 0)
        {
            Dropped("bad_stream_id");
            Fail(TransportError.ProtocolViolation, graceful: true);
            return false;
        }

        TransportStream stream;
        lock (_lock)
        {
            if (_streams.ContainsKey(h.Id))
            {
                Dropped("bad_stream_id");
                Fail(TransportError.ProtocolViolation, graceful: true);
                return false;
            }

            if (_streams.Count >= _options.MaxStreamsPerConnection || _goingAway)
            {
                stream = null!;
            }
            else
            {
                stream = new TransportStream(this, h.Id);
                _streams.Add(h.Id, stream);
            }
        }

        if (stream is null)
        {
            Dropped("stream_limit");
            Observe(_writer.WriteAsync(new FrameHeader(FrameType.StreamReset, FrameFlags.None, h.Id, 0), default, urgent: true));
            return true;
        }

        Interlocked.Increment(ref _active);
        _ = ServeStreamAsync(stream);
        return true;
    }

    private async Task ServeStreamAsync(TransportStream stream)
    {
        try
        {
            await _handler.HandleStreamAsync(this, stream, Closed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Closed.IsCancellationRequested)
        {
            if (ex is not TransportException)
            {
                Log.HandlerFailed(_logger, RemotePeer.ToString(), ex);
            }
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private bool StreamData(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        if (!TryGetStream(h.Id, out var stream))
        {
            // Data racing a reset we sent; harmless, but counted.
            Dropped("unknown_stream");
            return true;
        }

        if (!stream.OnData(payload, (h.Flags & FrameFlags.End) != 0))
        {
            Dropped("flow_control");
            Fail(TransportError.ProtocolViolation, graceful: true);
            return false;
        }

        return true;
    }

    private bool TryGetStream(uint id, out TransportStream stream)
    {
        lock (_lock)
        {
            return _streams.TryGetValue(id, out stream!);
        }
    }

    private void SendProtocolError(FrameError error)
    {
        ReadOnlySpan<byte> code = [(byte)error];
        Observe(_writer.WriteAsync(new FrameHeader(FrameType.ProtocolError, FrameFlags.None, 0, 1), code, urgent: true));
    }

    private void OnKeepAliveTick()
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return;
        }

        var silence = _time.GetElapsedTime(Interlocked.Read(ref _lastReceive));
        if (silence >= _options.KeepAliveInterval * 3)
        {
            // Three intervals without a byte, pings included: the peer or the path is gone.
            Fail(TransportError.Timeout, graceful: false);
        }
        else if (silence >= _options.KeepAliveInterval)
        {
            Observe(_writer.WriteAsync(new FrameHeader(FrameType.Ping, FrameFlags.None, 0, 0), default, urgent: true));
        }
    }

    private void OnLinkFault(Exception ex) => Teardown(Volatile.Read(ref _closing) != 0 ? TransportError.Closed : _link.FaultReason(ex));

    /// <summary>Closes because of a fault; a graceful close first lets queued frames (the protocol error) leave.</summary>
    private void Fail(TransportError reason, bool graceful)
    {
        if (Interlocked.CompareExchange(ref _closing, 1, 0) != 0)
        {
            return;
        }

        _closeReason = reason;
        if (graceful)
        {
            _ = FlushThenTeardownAsync(reason);
        }
        else
        {
            Teardown(reason);
        }
    }

    private async Task FlushThenTeardownAsync(TransportError reason)
    {
        try
        {
            if (await Waits.CompletesWithinAsync(_writer.FlushAsync(), _options.HandshakeTimeout, _time))
            {
                await _link.ShutdownAsync();
            }
        }
        catch (Exception ex) when (ex is TransportException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Best effort only: the connection is being torn down either way.
        }

        Teardown(reason);
    }

    private int _tornDown;

    private void Teardown(TransportError reason)
    {
        if (Interlocked.Exchange(ref _tornDown, 1) != 0)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _closing, 1, 0) == 0)
        {
            _closeReason = reason;
        }

        reason = _closeReason ?? reason;
        var failure = new TransportException(reason, $"The connection to {RemotePeer} closed ({reason}).");
        _keepAlive.Dispose();
        _writer.Close(failure);
        _link.Abort();

        // Closed is cancelled before anyone waiting is failed, so a caller that catches the failure
        // always finds the connection closed.
        try
        {
            _closedSource.Cancel();
        }
        catch (AggregateException ex)
        {
            // A Closed callback of a caller failed; that is their bug, not a reason to stop tearing down.
            Log.HandlerFailed(_logger, RemotePeer.ToString(), ex);
        }

        TaskCompletionSource<TransportResponse>[] pending;
        TransportStream[] streams;
        lock (_lock)
        {
            pending = [.. _pending.Values];
            streams = [.. _streams.Values];
            _pending.Clear();
        }

        foreach (var p in pending)
        {
            p.TrySetException(failure);
        }

        foreach (var s in streams)
        {
            s.Fail(failure);
        }

        TransportMetrics.ClosedWith(Scheme, reason);
        Log.ConnectionClosed(_logger, RemotePeer.ToString(), reason);
    }

    private void Dropped(FrameError error)
    {
        TransportMetrics.Dropped(error);
        Log.FrameDropped(_logger, RemotePeer.ToString(), TransportMetrics.ReasonOf(error));
    }

    private void Dropped(string reason)
    {
        TransportMetrics.Dropped(reason);
        Log.FrameDropped(_logger, RemotePeer.ToString(), reason);
    }

    private void CheckPayload(int length)
    {
        if (length > _options.MaxFrameBytes - FrameHeader.Size)
        {
            throw new TransportException(TransportError.LimitExceeded, $"A payload of {length} bytes exceeds the maximum frame size of {_options.MaxFrameBytes} bytes; use a stream.");
        }
    }

    private void ThrowIfClosing()
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            throw ClosedException();
        }
    }

    private TransportException ClosedException()
        => new(_closeReason ?? TransportError.Closed, $"The connection to {RemotePeer} is closed.");

    private static void Observe(ValueTask pending)
    {
        // Control frames are fire-and-forget; a failure means the connection is closing.
        if (!pending.IsCompleted)
        {
            _ = pending.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else if (pending.IsFaulted)
        {
            _ = pending.AsTask().Exception;
        }
    }
}
