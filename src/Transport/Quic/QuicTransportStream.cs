using System.Net.Quic;
using System.Runtime.Versioning;
using Overlay.Crypto;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Quic;

/// <summary>
/// A <see cref="TransportStream"/> that is a QUIC stream of its own: QUIC's stream flow control is the
/// window, its FIN ends a direction, and its stream abort, with a <see cref="ProtocolRefusal"/> as the
/// application error code, is the reset. The opener's header (a StreamOpen frame header naming the
/// protocol) is written when the stream opens; later writes follow it.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicTransportStream : TransportStream
{
    private readonly QuicStream _stream;
    private readonly QuicStreamChannel _owner;
    private readonly PeerId _peer;
    private readonly object _lock = new();
    private readonly Task _header;
    private bool _readsEnded;
    private bool _writesCompleted;
    private bool _closed;
    private TransportException? _failure;

    public QuicTransportStream(QuicStreamChannel owner, QuicStream stream, ProtocolId protocol, PeerId peer, Task header)
        : base(protocol, stream.Id)
    {
        _owner = owner;
        _stream = stream;
        _peer = peer;
        _header = header;
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        ThrowIfFailed();
        int n;
        try
        {
            n = await _stream.ReadAsync(buffer, cancellationToken);
        }
        catch (QuicException ex)
        {
            throw Translate(ex);
        }

        if (n == 0)
        {
            lock (_lock)
            {
                _readsEnded = true;
            }
        }

        return n;
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_writesCompleted)
            {
                throw new InvalidOperationException("Writes on this stream were completed.");
            }
        }

        ThrowIfFailed();
        try
        {
            await _header;
            await _stream.WriteAsync(buffer, cancellationToken);
        }
        catch (QuicException ex)
        {
            throw Translate(ex);
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

        try
        {
            await _header;
            _stream.CompleteWrites();
        }
        catch (QuicException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    internal override async ValueTask CloseAsync(ProtocolRefusal reason)
    {
        bool reset, fin;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            reset = !_readsEnded && _failure is null;
            fin = !_writesCompleted && _failure is null;
            _writesCompleted = true;
        }

        try
        {
            await _header.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (reset)
            {
                // The peer's direction was not read to its end: tell it why, in both directions.
                _stream.Abort(QuicAbortDirection.Both, (long)reason);
            }
            else if (fin)
            {
                _stream.CompleteWrites();
            }
        }
        catch (Exception ex) when (ex is QuicException or ObjectDisposedException or InvalidOperationException)
        {
            // The stream or its connection is already gone; there is nobody to tell.
        }

        await _stream.DisposeAsync();
        _owner.Forget(this);
    }

    /// <summary>The connection went away: every pending and later operation fails with <paramref name="failure"/>.</summary>
    internal void Fail(TransportException failure)
    {
        lock (_lock)
        {
            if (_failure is not null || _closed)
            {
                return;
            }

            _failure = failure;
        }

        try
        {
            _stream.Abort(QuicAbortDirection.Both, (long)ProtocolRefusal.Cancelled);
        }
        catch (Exception ex) when (ex is QuicException or ObjectDisposedException)
        {
            // Already closed with its connection.
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw failure;
        }
    }

    private TransportException Translate(QuicException ex)
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            return failure;
        }

        if (ex.QuicError == QuicError.StreamAborted)
        {
            var code = ProtocolRefusals.Read((byte)Math.Clamp(ex.ApplicationErrorCode ?? 0, 0, 255));
            TransportMetrics.StreamReset(code);
            return ProtocolRefusals.StreamReset(_peer, Id, code);
        }

        var reason = QuicTransport.ReasonOf(ex) ?? TransportError.PeerUnreachable;
        return new TransportException(reason, $"Stream {Id} to {_peer} failed: {ex.Message}", ex);
    }
}
