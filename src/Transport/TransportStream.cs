using Overlay.Transport.Framing;

namespace Overlay.Transport;

/// <summary>
/// A bidirectional, flow-controlled byte stream on a connection (shards, bulk transfers), opened for
/// one protocol. A writer may have at most the peer's receive window in flight; writes wait for
/// credit, which is the backpressure. <see cref="CompleteWritesAsync"/> ends this side's direction;
/// reads return 0 once the peer ended its direction. Errors throw <see cref="TransportException"/>:
/// a peer that resets the stream mid-way fails the reader and the writer with the reset's reason.
/// Disposing a stream whose peer has not finished resets it, so the peer never waits for credit
/// that will not come.
/// </summary>
public abstract class TransportStream : Stream
{
    private protected TransportStream(ProtocolId protocol, long id)
    {
        Protocol = protocol;
        Id = id;
    }

    /// <summary>The protocol the stream was opened for.</summary>
    public ProtocolId Protocol { get; }

    /// <summary>The stream's id on its connection (a frame stream id, or a QUIC stream id).</summary>
    public long Id { get; }

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

    /// <summary>Reads what the peer wrote; returns 0 once the peer ended its direction.</summary>
    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Writes, waiting for the peer's flow-control credit.</summary>
    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Ends this side's direction: the peer's reads return 0 after what was written.</summary>
    public abstract ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default);

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

    /// <summary>
    /// Ends the stream: completes writes if still open, and resets it (reason
    /// <see cref="ProtocolRefusal.Cancelled"/>) if the peer's direction was not read to its end.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        await CloseAsync(ProtocolRefusal.Cancelled);
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Ends the stream as <see cref="DisposeAsync"/> does; a reset, when one is due, carries
    /// <paramref name="reason"/>. Idempotent.
    /// </summary>
    internal abstract ValueTask CloseAsync(ProtocolRefusal reason);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseAsync(ProtocolRefusal.Cancelled).AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
