using System.Buffers;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// The receiving half of a <see cref="MuxConnection"/>: decodes the frames its link delivers and hands
/// each to its owner: requests and messages to the <see cref="InboundServer"/>, answers to the
/// <see cref="RequestTable"/>, stream frames to the <see cref="MuxStreamTable"/>, keep-alives and
/// goodbyes to the connection. A frame that breaks the protocol is counted and closes the connection
/// (after a protocol-error frame where the peer can learn from one); a frame of a type this node does
/// not know is counted, answered and skipped.
/// </summary>
internal sealed class FrameReceiver
{
    private readonly MuxConnection _connection;
    private readonly BatchingWriter _writer;
    private readonly InboundServer _inbound;
    private readonly MuxStreamTable _streams;
    private readonly RequestTable _requests;
    private readonly bool _streamsBesideLink;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private long _lastReceive;

    /// <summary>
    /// Creates the receiver of <paramref name="connection"/>, which owns the other parts; with
    /// <paramref name="streamsBesideLink"/> streams travel beside the link (QUIC streams), so stream
    /// frames on it break the protocol.
    /// </summary>
    public FrameReceiver(
        MuxConnection connection, BatchingWriter writer, InboundServer inbound, MuxStreamTable streams, RequestTable requests,
        bool streamsBesideLink, TransportOptions options, TimeProvider time)
    {
        _connection = connection;
        _writer = writer;
        _inbound = inbound;
        _streams = streams;
        _requests = requests;
        _streamsBesideLink = streamsBesideLink;
        _options = options;
        _time = time;
        _lastReceive = time.GetTimestamp();
    }

    /// <summary>When the peer last sent anything, keep-alives included (the keep-alive's measure of silence).</summary>
    public long LastReceiveTimestamp => Interlocked.Read(ref _lastReceive);

    /// <summary>
    /// Decodes and serves every whole frame at the front of <paramref name="buffer"/>, advancing it.
    /// Returns false when the peer broke the protocol; the connection is then closing.
    /// </summary>
    public bool Process(ref ReadOnlySequence<byte> buffer)
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
            if (_connection.IsClosing && _connection.CloseReason != TransportError.Closed)
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
                    _connection.Dropped(error);
                    SendProtocolError(error);
                    continue;
                case FrameError.UnsupportedVersion:
                    _connection.Dropped(error);
                    SendProtocolError(error);
                    _connection.Fail(TransportError.ProtocolViolation, graceful: true);
                    return false;
                default:
                    _connection.Dropped(error);
                    _connection.Fail(TransportError.ProtocolViolation, graceful: true);
                    return false;
            }
        }
    }

    private bool Dispatch(in Frame frame)
    {
        var h = frame.Header;
        if (h.Type is not (FrameType.Ping or FrameType.Pong or FrameType.StreamWindow or FrameType.ProtocolError))
        {
            // Keep-alives and flow control are not use: a pool must still see the connection as idle.
            _connection.MarkActivity();
        }

        if (_streamsBesideLink && h.Type is FrameType.StreamOpen or FrameType.StreamData or FrameType.StreamWindow or FrameType.StreamReset)
        {
            // Streams travel in the channel beside this link (QUIC streams); frames for them here break the protocol.
            _connection.Dropped("stream_frame_not_allowed");
            _connection.Fail(TransportError.ProtocolViolation, graceful: true);
            return false;
        }

        switch (h.Type)
        {
            case FrameType.Request:
                _inbound.ServeRequest(h, frame.Payload);
                return true;
            case FrameType.Response:
                CompleteRequest(h, frame.Payload);
                return true;
            case FrameType.Message:
                _inbound.ServeMessage(h, frame.Payload);
                return true;
            case FrameType.StreamOpen:
                return _streams.Accept(h) || Violation();
            case FrameType.StreamData:
                return _streams.OnData(h, frame.Payload) || Violation();
            case FrameType.StreamWindow:
                return _streams.OnWindow(h, frame.Payload) || Violation();
            case FrameType.StreamReset:
                _streams.OnReset(h, frame.Payload);
                return true;
            case FrameType.Ping:
                MuxConnection.Observe(_writer.WriteAsync(new FrameHeader(FrameType.Pong, FrameFlags.None, h.Id, 0), default, urgent: true));
                return true;
            case FrameType.Pong:
                _connection.BulkWindows.OnPong(h.Id);
                return true;
            case FrameType.GoAway:
                _streams.RefuseNew();
                _ = _connection.CloseAsync().AsTask();
                return true;
            case FrameType.ProtocolError:
                TransportMetrics.Dropped("remote_protocol_error");
                return true;
            default:
                return true;
        }
    }

    private void CompleteRequest(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        if (!_requests.Complete(h, payload, _connection.RemotePeer))
        {
            // Late answer to a request that timed out or was cancelled.
            _connection.Dropped("unexpected_response");
        }
    }

    /// <summary>The peer broke the stream protocol (reason already counted): close, letting the protocol error leave.</summary>
    private bool Violation()
    {
        _connection.Fail(TransportError.ProtocolViolation, graceful: true);
        return false;
    }

    private void SendProtocolError(FrameError error)
    {
        ReadOnlySpan<byte> code = [(byte)error];
        MuxConnection.Observe(_writer.WriteAsync(new FrameHeader(FrameType.ProtocolError, FrameFlags.None, 0, 1), code, urgent: true));
    }
}
