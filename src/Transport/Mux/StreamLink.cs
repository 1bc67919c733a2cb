using System.IO.Pipelines;

namespace Overlay.Transport.Mux;

/// <summary>
/// A frame link over an ordered byte stream (a TLS stream over TCP, or a QUIC stream). Writes come
/// only from the connection's single drain loop; <see cref="RunReceiveLoopAsync"/> feeds the
/// connection from a <see cref="PipeReader"/>, which never buffers more than one maximal frame
/// plus one read because the frame reader refuses oversized lengths from the header alone.
/// </summary>
internal sealed class StreamLink : IFrameLink
{
    private readonly Stream _stream;
    private readonly Func<Stream, ValueTask> _shutdown;
    private readonly Action _abort;
    private int _aborted;

    public StreamLink(Stream stream, Func<Stream, ValueTask> shutdown, Action abort)
    {
        _stream = stream;
        _shutdown = shutdown;
        _abort = abort;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
        => _stream.WriteAsync(frames, cancellationToken);

    public async ValueTask ShutdownAsync()
    {
        try
        {
            await _shutdown(_stream);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException
            or System.Security.Cryptography.CryptographicException or System.Security.Authentication.AuthenticationException)
        {
            // The peer may already be gone or have closed first (TLS then refuses our close_notify);
            // the link is being closed anyway.
        }
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _abort();
        }
    }

    /// <summary>Reads until the stream ends or fails, then tells the connection why.</summary>
    public async Task RunReceiveLoopAsync(MuxConnection connection)
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        var reason = TransportError.Closed;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                var ok = connection.ProcessInbound(ref buffer);
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (!ok)
                {
                    return;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    // An orderly end of stream with a torn frame left is the peer's fault, but either way the link is over.
                    reason = buffer.IsEmpty ? TransportError.Closed : TransportError.ProtocolViolation;
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or System.Security.Authentication.AuthenticationException or System.Net.Sockets.SocketException)
        {
            // Reset, abort or local close: the peer is gone as far as this connection is concerned.
            reason = Volatile.Read(ref _aborted) != 0 ? TransportError.Closed : TransportError.PeerUnreachable;
        }
        finally
        {
            await reader.CompleteAsync();
        }

        connection.OnLinkClosed(reason);
    }
}
