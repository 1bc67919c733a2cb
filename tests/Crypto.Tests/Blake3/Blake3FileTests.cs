namespace Overlay.Crypto.Tests.Blake3Tests;

public sealed class Blake3FileTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(Blake3File.BufferSize - 1)]
    [InlineData(Blake3File.BufferSize)]
    [InlineData((2 * Blake3File.BufferSize) + 4097)]
    public async Task HashAsync_EqualsOneShot(int length)
    {
        var input = new byte[length];
        new Random(length).NextBytes(input);
        var expected = new byte[Overlay.Crypto.Blake3.HashSize];
        Overlay.Crypto.Blake3.Hash(input, expected);

        var actual = new byte[Overlay.Crypto.Blake3.HashSize];
        await Blake3File.HashAsync(new MemoryStream(input, writable: false), actual, TestContext.Current.CancellationToken);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task HashAsync_WithShortReads_EqualsOneShot()
    {
        // Streams may return fewer bytes than asked for (pipes, sockets): odd-sized reads must not matter.
        var input = new byte[(3 * Blake3File.BufferSize) / 2];
        new Random(5).NextBytes(input);
        var expected = new byte[Overlay.Crypto.Blake3.HashSize];
        Overlay.Crypto.Blake3.Hash(input, expected);

        var actual = new byte[Overlay.Crypto.Blake3.HashSize];
        await Blake3File.HashAsync(new TricklingStream(input, new Random(6)), actual, TestContext.Current.CancellationToken);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task HashAsync_ReadsAFileOnDisk()
    {
        var path = Path.GetTempFileName();
        try
        {
            var input = new byte[Blake3File.BufferSize + 333];
            new Random(7).NextBytes(input);
            await File.WriteAllBytesAsync(path, input, TestContext.Current.CancellationToken);
            var expected = new byte[Overlay.Crypto.Blake3.HashSize];
            Overlay.Crypto.Blake3.Hash(input, expected);

            var actual = new byte[Overlay.Crypto.Blake3.HashSize];
            await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                await Blake3File.HashAsync(stream, actual, TestContext.Current.CancellationToken);
            }

            Assert.Equal(expected, actual);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task HashAsync_WhenCancelled_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Blake3File.HashAsync(new MemoryStream(new byte[10]), new byte[32], cancellation.Token));
    }

    private sealed class TricklingStream(byte[] data, Random random) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var take = Math.Min(Math.Min(buffer.Length, 1 + random.Next(70_000)), data.Length - _position);
            data.AsSpan(_position, take).CopyTo(buffer);
            _position += take;
            return take;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
