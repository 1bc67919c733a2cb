using Overlay.Transport.Admission;

namespace Overlay.Transport.Tls;

/// <summary>
/// The dialler's stream under TLS. It looks at the first bytes the listener sends: a
/// <see cref="RefusalNotice"/> there (instead of a TLS record) ends the stream and is kept in
/// <see cref="Refusal"/>, so the failed handshake can say why the peer turned this node away.
/// After the first bytes it only passes reads and writes through.
/// </summary>
internal sealed class RefusalAwareStream : Stream
{
    private readonly Stream _inner;
    private bool _checked;

    public RefusalAwareStream(Stream inner) => _inner = inner;

    /// <summary>The reason the listener gave for refusing, once a notice was read; else null.</summary>
    public string? Refusal { get; private set; }

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken);
        if (_checked || n == 0)
        {
            return n;
        }

        if (buffer.Span[0] != RefusalNotice.FirstByte)
        {
            _checked = true;
            return n;
        }

        // A notice is one short line; gather it (it may arrive in pieces) and end the stream.
        var line = new byte[RefusalNotice.MaxBytes];
        var length = Math.Min(n, line.Length);
        buffer.Span[..length].CopyTo(line);
        while (true)
        {
            if (RefusalNotice.TryDecode(line.AsSpan(0, length), out var reason, out var needMore))
            {
                Refusal = reason;
                return 0;
            }

            var more = needMore ? await _inner.ReadAsync(line.AsMemory(length), cancellationToken) : 0;
            if (more == 0)
            {
                // Not a notice after all, or cut short: hand TLS what came, which it will refuse.
                _checked = true;
                return n;
            }

            length += more;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
