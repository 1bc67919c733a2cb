using System.Net.Quic;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Overlay.Transport.Framing;
using Overlay.Transport.Mux;

namespace Overlay.Transport.Quic;

/// <summary>
/// The streams of one QUIC connection, each a QUIC stream of its own beside the control stream that
/// carries the frames of requests and messages: a bulk transfer never holds up a request (no
/// head-of-line blocking between them, not even on loss). A stream starts with a 12-byte header, a
/// StreamOpen frame header naming its protocol; what follows is the stream's bytes, with QUIC's own
/// flow control and FIN. Bad headers (truncated, wrong type or version, a payload, no protocol, not
/// sent within <see cref="TransportOptions.HandshakeTimeout"/>) abort that stream only, counted; a
/// refused protocol aborts it with the refusal as the error code. How many streams a peer may open at
/// once is QUIC's stream limit, <see cref="TransportOptions.MaxStreamsPerConnection"/>.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicStreamChannel : IStreamChannel
{
    private readonly QuicConnection _quic;
    private readonly Task _control;
    private readonly IReadOnlyList<QuicStream> _early;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<QuicStream, ushort> _prioritise;
    private readonly HashSet<QuicTransportStream> _open = [];
    private MuxConnection? _connection;
    private TransportException? _failure;

    /// <param name="quic">The connection.</param>
    /// <param name="control">Completes once the control stream is open; streams are opened only after it, so it is always stream 0.</param>
    /// <param name="early">Streams the peer opened before its control stream arrived (listener side).</param>
    /// <param name="options">Limits and timeouts.</param>
    /// <param name="time">The clock for header timeouts.</param>
    /// <param name="prioritise">Sets a stream's send priority (bulk streams go after every other stream).</param>
    public QuicStreamChannel(QuicConnection quic, Task control, IReadOnlyList<QuicStream> early, TransportOptions options, TimeProvider time, Action<QuicStream, ushort> prioritise)
    {
        _prioritise = prioritise;
        _quic = quic;
        _control = control;
        _early = early;
        _options = options;
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    public void Start(MuxConnection connection)
    {
        _connection = connection;
        foreach (var stream in _early)
        {
            _ = ServeInboundAsync(stream);
        }

        _ = AcceptLoopAsync();
    }

    public async ValueTask<TransportStream> OpenAsync(ProtocolId protocol, CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("The channel has not started.");
        QuicStream stream;
        try
        {
            await _control;
            stream = await _quic.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellationToken);
        }
        catch (QuicException ex)
        {
            throw _failure ?? new TransportException(QuicTransport.ReasonOf(ex) ?? TransportError.PeerUnreachable, $"Could not open a stream to {connection.RemotePeer}: {ex.Message}", ex);
        }

        if (protocol.Class == TrafficClass.Bulk)
        {
            _prioritise(stream, QuicStreamPriority.Bulk);
        }

        // The header is on its way while the caller prepares its first write; writes wait for it.
        var header = new byte[FrameHeader.Size];
        new FrameHeader(FrameType.StreamOpen, FrameFlags.None, (uint)stream.Id, 0, protocol.Number).WriteTo(header);
        var opened = new QuicTransportStream(this, stream, protocol, connection.RemotePeer, stream.WriteAsync(header, cancellationToken).AsTask());
        if (!Track(opened))
        {
            await opened.DisposeAsync();
            throw _failure!;
        }

        return opened;
    }

    public void Abort(TransportException failure)
    {
        QuicTransportStream[] open;
        lock (_open)
        {
            _failure ??= failure;
            open = [.. _open];
            _open.Clear();
        }

        foreach (var stream in open)
        {
            stream.Fail(failure);
        }
    }

    internal void Forget(QuicTransportStream stream)
    {
        lock (_open)
        {
            _open.Remove(stream);
        }
    }

    private bool Track(QuicTransportStream stream)
    {
        lock (_open)
        {
            if (_failure is not null)
            {
                return false;
            }

            _open.Add(stream);
            return true;
        }
    }

    private async Task AcceptLoopAsync()
    {
        var closed = _connection!.Closed;
        while (!closed.IsCancellationRequested)
        {
            QuicStream stream;
            try
            {
                stream = await _quic.AcceptInboundStreamAsync(closed);
            }
            catch (Exception ex) when (ex is QuicException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection is closing; its own teardown reports why.
                return;
            }

            _ = ServeInboundAsync(stream);
        }
    }

    private async Task ServeInboundAsync(QuicStream stream)
    {
        var connection = _connection!;
        var header = await ReadHeaderAsync(stream);
        if (header is not { } h)
        {
            Abort(stream, ProtocolRefusal.Failed);
            await stream.DisposeAsync();
            return;
        }

        var refusal = connection.Inbound.ResolveStream(h.Protocol, out var protocol, out var handler);
        if (refusal == ProtocolRefusal.None && Count >= _options.MaxStreamsPerConnection)
        {
            connection.Dropped("stream_limit");
            refusal = ProtocolRefusal.Busy;
        }

        if (refusal != ProtocolRefusal.None)
        {
            Abort(stream, refusal);
            await stream.DisposeAsync();
            return;
        }

        if (protocol!.Class == TrafficClass.Bulk)
        {
            _prioritise(stream, QuicStreamPriority.Bulk);
        }

        var accepted = new QuicTransportStream(this, stream, protocol, connection.RemotePeer, Task.CompletedTask);
        if (!Track(accepted))
        {
            await accepted.DisposeAsync();
            return;
        }

        await connection.Inbound.ServeStreamAsync(accepted, handler!);
    }

    /// <summary>Reads and checks a stream's 12-byte header; null (counted) when it is missing or malformed.</summary>
    private async Task<FrameHeader?> ReadHeaderAsync(QuicStream stream)
    {
        var connection = _connection!;
        var bytes = new byte[FrameHeader.Size];
        var got = 0;
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(connection.Closed, timeout.Token);
        try
        {
            while (got < bytes.Length)
            {
                var n = await stream.ReadAsync(bytes.AsMemory(got), wait.Token);
                if (n == 0)
                {
                    connection.Dropped("truncated_stream_header");
                    return null;
                }

                got += n;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !connection.Closed.IsCancellationRequested)
        {
            connection.Dropped("stream_header_timeout");
            return null;
        }
        catch (QuicException ex) when (ex.QuicError == QuicError.StreamAborted)
        {
            // The peer reset the stream before naming its protocol (a reset may overtake unsent bytes).
            TransportMetrics.StreamReset(ProtocolRefusals.Read((byte)Math.Clamp(ex.ApplicationErrorCode ?? 0, 0, 255)));
            return null;
        }
        catch (Exception ex) when (ex is QuicException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is closing; its own teardown reports why.
            return null;
        }

        if (!FrameReader.TryRead(bytes, _options.MaxFrameBytes, out var header, out var error))
        {
            // "Incomplete" after 12 bytes means the header declared a payload, which a stream header never has.
            if (error == FrameError.Incomplete)
            {
                connection.Dropped("bad_stream_header");
            }
            else
            {
                connection.Dropped(error);
            }

            return null;
        }

        if (header.Type != FrameType.StreamOpen || header.PayloadLength != 0)
        {
            connection.Dropped("bad_stream_header");
            return null;
        }

        return header;
    }

    private static void Abort(QuicStream stream, ProtocolRefusal reason)
    {
        try
        {
            stream.Abort(QuicAbortDirection.Both, (long)reason);
        }
        catch (Exception ex) when (ex is QuicException or ObjectDisposedException or InvalidOperationException)
        {
            // Already gone.
        }
    }
}
