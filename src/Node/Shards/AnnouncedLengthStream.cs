namespace Overlay.Node.Shards;

/// <summary>
/// Reads exactly the announced number of bytes from a store's stream, and then insists the sender
/// ended there: fewer bytes or more both fail the read, so the store that consumes it writes nothing.
/// </summary>
internal sealed class AnnouncedLengthStream : Stream
{
    private readonly Stream _inner;
    private readonly int _length;
    private int _remaining;
    private bool _endChecked;

    public AnnouncedLengthStream(Stream inner, int length)
    {
        _inner = inner;
        _length = length;
        _remaining = length;
    }

    /// <summary>Set when the sender's bytes did not match the announced length.</summary>
    public string? Problem { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining == 0)
        {
            if (!_endChecked)
            {
                _endChecked = true;
                var probe = new byte[1];
                if (await _inner.ReadAsync(probe, cancellationToken) != 0)
                {
                    Problem = $"more bytes followed the {_length} announced";
                    throw new IOException(Problem);
                }
            }

            return 0;
        }

        var read = await _inner.ReadAsync(buffer[..Math.Min(buffer.Length, _remaining)], cancellationToken);
        if (read == 0)
        {
            Problem = $"the stream ended after {_length - _remaining} of the {_length} bytes announced";
            throw new IOException(Problem);
        }

        _remaining -= read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
