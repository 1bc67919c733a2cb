using System.IO.Pipelines;

namespace Overlay.Transport.Mux;

/// <summary>
/// A frame link over an ordered byte stream (a TLS stream over TCP, or a QUIC stream). Writes come
/// only from the connection's single drain loop; <see cref="RunReceiveLoopAsync"/> feeds the
/// connection from a <see cref="PipeReader"/>, which never buffers more than one maximal frame
/// plus one read because the frame reader refuses oversized lengths from the header alone. The
/// stream may still be opening when the link is made (a QUIC dialler's control stream): frames
/// queued meanwhile leave once it is open.
/// </summary>
internal sealed class StreamLink : IFrameLink
{
    private readonly Task<Stream> _opening;
    private readonly Func<Stream, ValueTask> _shutdown;
    private readonly Action _abort;
    private readonly Func<Exception, TransportError?>? _classify;
    private int _aborted;

    /// <param name="stream">The ordered byte stream that carries frames.</param>
    /// <param name="shutdown">Ends the sending side after everything written has left.</param>
    /// <param name="abort">Tears the stream and what is under it down at once.</param>
    /// <param name="classify">
    /// Maps a read or write failure to why the link ended, where the failure says more than
    /// "the peer is gone" (null: it does not).
    /// </param>
    public StreamLink(Stream stream, Func<Stream, ValueTask> shutdown, Action abort, Func<Exception, TransportError?>? classify = null)
        : this(Task.FromResult(stream), shutdown, abort, classify)
    {
    }

    /// <param name="opening">The stream that carries frames, once open; a failure to open fails the link.</param>
    /// <param name="shutdown">Ends the sending side after everything written has left.</param>
    /// <param name="abort">Tears the stream and what is under it down at once.</param>
    /// <param name="classify">Maps a failure to why the link ended (null: "the peer is gone").</param>
    public StreamLink(Task<Stream> opening, Func<Stream, ValueTask> shutdown, Action abort, Func<Exception, TransportError?>? classify = null)
    {
        _opening = opening;
        _shutdown = shutdown;
        _abort = abort;
        _classify = classify;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
        => _opening.IsCompletedSuccessfully ? _opening.Result.WriteAsync(frames, cancellationToken) : WriteWhenOpenAsync(frames, cancellationToken);

    public async ValueTask ShutdownAsync()
    {
        try
        {
            await _shutdown(await _opening);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The peer may already be gone or have closed first; TLS then refuses our close_notify,
            // on Linux with internal OpenSSL exception types. The link is being closed anyway.
        }
    }

    public TransportError FaultReason(Exception fault) => _classify?.Invoke(fault) ?? TransportError.PeerUnreachable;

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
        // Zero-byte reads: an idle connection waits for data without holding a buffer (SslStream
        // then releases its own too), which is what lets one node hold many thousands of them.
        var reason = TransportError.Closed;
        Stream stream;
        try
        {
            stream = await _opening;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            connection.OnLinkClosed(Volatile.Read(ref _aborted) != 0 ? TransportError.Closed : FaultReason(ex));
            return;
        }

        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
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
            reason = Volatile.Read(ref _aborted) != 0 ? TransportError.Closed : FaultReason(ex);
        }
        finally
        {
            await reader.CompleteAsync();
        }

        connection.OnLinkClosed(reason);
    }

    private async ValueTask WriteWhenOpenAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
        => await (await _opening).WriteAsync(frames, cancellationToken);
}
