namespace Overlay.Node.Files;

/// <summary>
/// A partial file kept in memory while open and written to its path, synchronously, when closed: no
/// I/O completes on another thread, so the in-memory network's scheduler stays in charge (the
/// simulator's and the tests' fetches write through it). With <see cref="FailAfterBytes"/> it fails
/// writes past that many bytes as a full disk does.
/// </summary>
public sealed class MemoryPartialFile : MemoryStream
{
    private readonly string _path;
    private long _written;

    private MemoryPartialFile(string path)
    {
        _path = path;
        if (File.Exists(path))
        {
            base.Write(File.ReadAllBytes(path));
            Position = 0;
        }
    }

    /// <summary>Writes past this many bytes fail with an <see cref="IOException"/>, as on a full disk.</summary>
    public long FailAfterBytes { get; init; } = long.MaxValue;

    /// <summary>An opener for <see cref="FileFetcher"/>: each path opened in memory, with what is already on disk read in.</summary>
    public static Func<string, Stream> Opener(long failAfterBytes = long.MaxValue) => path => new MemoryPartialFile(path) { FailAfterBytes = failAfterBytes };

    // MemoryStream's span write calls the array write of a derived class: only the array write counts.
    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        _written += count;
        if (_written > FailAfterBytes)
        {
            throw new IOException("No space left on device");
        }

        base.Write(buffer, offset, count);
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            File.WriteAllBytes(_path, ToArray());
        }

        base.Dispose(disposing);
    }
}
