using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// The connection every transport hands out: requests, one-way messages and flow-controlled
/// streams multiplexed as frames (docs/PROTOCOL.md) over one ordered byte link, each naming its
/// protocol. TCP+TLS, QUIC and the in-memory network differ only in the <see cref="IFrameLink"/>
/// below, in who calls <see cref="ProcessInbound"/>, and on QUIC in an <see cref="IStreamChannel"/>
/// that carries streams beside the link. <see cref="FrameReceiver"/> decodes what the peer sends and
/// <see cref="InboundServer"/> serves it.
/// </summary>
internal sealed class MuxConnection : ITransportConnection
{
    /// <summary>Bytes a stream sender may have in flight before the receiver's first window update (protocol constant).</summary>
    public const int InitialWindow = 64 * 1024;

    private readonly IFrameLink _link;
    private readonly IStreamChannel? _channel;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BatchingWriter _writer;
    private readonly InboundServer _inbound;
    private readonly FrameReceiver _receiver;
    private readonly CancellationTokenSource _closedSource = new();
    private readonly RequestTable _requests = new();
    private readonly MuxStreamTable _streams;
    private readonly KeepAliveWatch _keepAlive;
    private int _active;
    private long _lastActivity;
    private int _closing;
    private int _tornDown;
    private TransportError? _closeReason;

    public MuxConnection(
        IFrameLink link, TransportScheme scheme, PeerId remotePeer, TransportAddress remoteAddress, bool isInitiator,
        ProtocolDispatcher protocols, TransportOptions options, TimeProvider time, ILogger logger, IStreamChannel? channel = null)
    {
        _link = link;
        _channel = channel;
        Scheme = scheme;
        RemotePeer = remotePeer;
        RemoteAddress = remoteAddress;
        IsInitiator = isInitiator;
        _options = options;
        _time = time;
        _logger = logger;
        _lastActivity = time.GetTimestamp();

        // On loopback there is no path to fill: every delay a ping measures is the two processes'
        // scheduling, which a larger window does not shorten but adds queued bulk bytes to, ahead of
        // the connection's requests (docs/BENCHMARKS.md, "Bulk windows that grow"). QUIC tunes its own.
        BulkWindows = new BulkWindowState(this, tunes: channel is null && options.BulkStreamWindowMaxBytes > options.StreamWindowBytes
            && AddressScopes.Of(remoteAddress.Host) != AddressScope.Loopback, initialWindow: Math.Max(options.StreamWindowBytes, InitialWindow));

        MaxStreamChunk = Math.Min(options.MaxFrameBytes, Math.Min(link.BulkFrameBytes, FrameHeader.BulkFrameBytes)) - FrameHeader.Size;
        _writer = new BatchingWriter(link, time, options.BatchWindow, options.MaxBatchBytes, options.MaxQueuedSendBytes, OnLinkFault);
        _inbound = new InboundServer(this, protocols, options, logger);
        _streams = new MuxStreamTable(this, options, isInitiator);
        _receiver = new FrameReceiver(this, _writer, _inbound, _streams, _requests, channel is not null, options, time);
        _keepAlive = new KeepAliveWatch(this, _receiver, _writer, options.KeepAliveInterval, time);
        TransportMetrics.Opened(scheme);
        channel?.Start(this);
    }

    public TransportScheme Scheme { get; }

    public PeerId RemotePeer { get; }

    public TransportAddress RemoteAddress { get; }

    public bool IsInitiator { get; }

    public CancellationToken Closed => _closedSource.Token;

    public TransportError? CloseReason => Volatile.Read(ref _closing) != 0 ? _closeReason : null;

    public int ActiveOperations => Volatile.Read(ref _active) + (_channel?.Count ?? 0);

    public long LastActivityTimestamp => Interlocked.Read(ref _lastActivity);

    /// <summary>Largest StreamData payload sent: one bulk frame of the link (<see cref="IFrameLink.BulkFrameBytes"/>) with its header.</summary>
    internal int MaxStreamChunk { get; }

    /// <summary>The link under this connection (tests inject raw bytes through it).</summary>
    internal IFrameLink Link => _link;

    /// <summary>Bytes queued for sending (tests and benchmarks).</summary>
    internal long QueuedBytes => _writer.QueuedBytes;

    /// <summary>Serves what the peer sends; an <see cref="IStreamChannel"/> hands it the streams it accepts.</summary>
    internal InboundServer Inbound => _inbound;

    /// <summary>True once the connection is closing or closed.</summary>
    internal bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>The options the connection runs with.</summary>
    internal TransportOptions Options => _options;

    /// <summary>The connection's clock.</summary>
    internal TimeProvider Time => _time;

    /// <summary>Whether and how this connection grows its bulk streams' windows, and its round trip.</summary>
    internal BulkWindowState BulkWindows { get; }

    public async ValueTask<TransportResponse> RequestAsync(ProtocolId protocol, ReadOnlyMemory<byte> request, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default)
    {
        RequireControl(protocol, "requests");
        CheckPayload(request.Length);
        var completion = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = _requests.Add(completion, ThrowIfClosing);
        Interlocked.Increment(ref _active);
        _keepAlive.AwaitPeer();

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
            await Send(new FrameHeader(FrameType.Request, urgent ? FrameFlags.Urgent : FrameFlags.None, id, request.Length, protocol.Number), request, urgent, cancellationToken);
            return await completion.Task;
        }
        finally
        {
            _requests.Remove(id);
            Interlocked.Decrement(ref _active);
        }
    }

    public ValueTask SendAsync(ProtocolId protocol, ReadOnlyMemory<byte> message, MessagePriority priority = MessagePriority.Normal, CancellationToken cancellationToken = default)
    {
        RequireControl(protocol, "messages");
        CheckPayload(message.Length);
        ThrowIfClosing();
        return Send(new FrameHeader(FrameType.Message, FrameFlags.None, 0, message.Length, protocol.Number), message, priority == MessagePriority.High, cancellationToken);
    }

    public async ValueTask<TransportStream> OpenStreamAsync(ProtocolId protocol, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        if (_channel is not null)
        {
            ThrowIfClosing();
            if (_channel.Count >= _options.MaxStreamsPerConnection)
            {
                throw new TransportException(TransportError.LimitExceeded, $"The connection already has {_channel.Count} open streams, the configured maximum.");
            }

            MarkActivity();
            _keepAlive.AwaitPeer();
            return await _channel.OpenAsync(protocol, cancellationToken);
        }

        ThrowIfClosing();
        _keepAlive.AwaitPeer();
        return await _streams.OpenAsync(protocol, cancellationToken);
    }

    public IDisposable KeepWatched() => _keepAlive.Keep();

    public bool IsKeptWatched => _keepAlive.HasLeases;

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
            if (await Waits.CompletesWithinAsync(_writer.FlushAsync(), _options.HandshakeTimeout, _time, CancellationToken.None))
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
    public bool ProcessInbound(ref ReadOnlySequence<byte> buffer) => _receiver.Process(ref buffer);

    /// <summary>The link ended: the peer closed it, died, or the network failed.</summary>
    public void OnLinkClosed(TransportError reason) => Teardown(reason);

    /// <summary>Queues a frame of <paramref name="stream"/> in the queue of its protocol's traffic class.</summary>
    internal ValueTask SendStreamFrameAsync(MuxStream stream, FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return ValueTask.FromException(ClosedException());
        }

        MarkActivity();
        var header = new FrameHeader(type, flags, stream.FrameId, payload.Length, type == FrameType.StreamOpen ? stream.Protocol.Number : (byte)0);
        return stream.Protocol.Class == TrafficClass.Bulk
            ? _writer.WriteBulkAsync(header, payload.Span, cancellationToken)
            : _writer.WriteAsync(header, payload.Span, urgent: false, cancellationToken);
    }

    /// <summary>Resets <paramref name="stream"/> in its own queue, after what it already queued.</summary>
    internal ValueTask SendResetAsync(MuxStream stream, ProtocolRefusal reason)
        => SendStreamFrameAsync(stream, FrameType.StreamReset, FrameFlags.None, new[] { (byte)reason }, CancellationToken.None);

    internal void SendWindowUpdate(uint id, uint grant)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, grant);

        // Window updates unblock a waiting sender: they never wait for the batch window.
        Observe(_writer.WriteAsync(new FrameHeader(FrameType.StreamWindow, FrameFlags.None, id, 4), payload, urgent: true));
    }

    internal void ForgetStream(MuxStream stream) => _streams.Forget(stream);

    /// <summary>Sends a Ping urgently (a timed one when <paramref name="id"/> is not 0).</summary>
    internal void SendPing(uint id) => Observe(_writer.WriteAsync(new FrameHeader(FrameType.Ping, FrameFlags.None, id, 0), default, urgent: true));

    internal void SendReset(uint id, ProtocolRefusal reason)
    {
        ReadOnlySpan<byte> code = [(byte)reason];
        Observe(_writer.WriteAsync(new FrameHeader(FrameType.StreamReset, FrameFlags.None, id, 1), code, urgent: true));
    }

    /// <summary>Answers request <paramref name="id"/>: with <paramref name="body"/>, or refused with <paramref name="refusal"/>.</summary>
    internal ValueTask SendResponseAsync(uint id, bool urgent, ProtocolRefusal refusal, ReadOnlyMemory<byte> body)
    {
        var flags = urgent ? FrameFlags.Urgent : FrameFlags.None;
        if (refusal != ProtocolRefusal.None)
        {
            ReadOnlySpan<byte> code = [(byte)refusal];
            return Send(new FrameHeader(FrameType.Response, flags | FrameFlags.Error, id, 1), code, urgent, CancellationToken.None);
        }

        return Send(new FrameHeader(FrameType.Response, flags, id, body.Length), body.Span, urgent, CancellationToken.None);
    }

    /// <summary>Refuses request <paramref name="id"/> at once, whatever its priority: the refusal costs the peer nothing to wait for.</summary>
    internal void SendRefusal(uint id, bool urgent, ProtocolRefusal refusal)
    {
        ReadOnlySpan<byte> code = [(byte)refusal];
        var flags = FrameFlags.Error | (urgent ? FrameFlags.Urgent : FrameFlags.None);
        Observe(_writer.WriteAsync(new FrameHeader(FrameType.Response, flags, id, 1), code, urgent: true));
    }

    /// <summary>The connection is in use now (keep-alives and flow control do not count: a pool must still see it idle).</summary>
    internal void MarkActivity()
    {
        Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
        _keepAlive.Wake();
    }

    internal void BeginOperation()
    {
        Interlocked.Increment(ref _active);
        _keepAlive.Wake();
    }

    internal void EndOperation() => Interlocked.Decrement(ref _active);

    internal void Dropped(FrameError error)
    {
        TransportMetrics.Dropped(error);
        Log.FrameDropped(_logger, RemotePeer.ToString(), TransportMetrics.ReasonOf(error));
    }

    internal void Dropped(string reason)
    {
        TransportMetrics.Dropped(reason);
        Log.FrameDropped(_logger, RemotePeer.ToString(), reason);
    }

    private ValueTask Send(FrameHeader header, ReadOnlyMemory<byte> payload, bool urgent, CancellationToken cancellationToken)
        => Send(header, payload.Span, urgent, cancellationToken);

    private ValueTask Send(FrameHeader header, ReadOnlySpan<byte> payload, bool urgent, CancellationToken cancellationToken)
    {
        MarkActivity();
        return _writer.WriteAsync(header, payload, urgent, cancellationToken);
    }

    private void OnLinkFault(Exception ex) => Teardown(Volatile.Read(ref _closing) != 0 ? TransportError.Closed : _link.FaultReason(ex));

    /// <summary>Closes because of a fault; a graceful close first lets queued frames (the protocol error) leave.</summary>
    internal void Fail(TransportError reason, bool graceful)
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
            if (await Waits.CompletesWithinAsync(_writer.FlushAsync(), _options.HandshakeTimeout, _time, CancellationToken.None))
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

        _requests.FailAll(failure);
        _streams.FailAll(failure);

        _channel?.Abort(failure);
        TransportMetrics.ClosedWith(Scheme, reason);
        Log.ConnectionClosed(_logger, RemotePeer.ToString(), reason);
    }

    private static void RequireControl(ProtocolId protocol, string what)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        if (protocol.Class != TrafficClass.Control)
        {
            throw new ArgumentException($"{protocol.Name} is a bulk protocol: it carries streams, not {what}.", nameof(protocol));
        }
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

    internal static void Observe(ValueTask pending)
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
