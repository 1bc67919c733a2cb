using Overlay.Transport.Mux;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// A link that records each batch it is given; optionally holds writes until released, all at once
/// (<see cref="Hold"/>) or one at a time (<see cref="HoldEach"/>).
/// </summary>
internal sealed class RecordingLink : IFrameLink
{
    private readonly Queue<TaskCompletionSource> _held = new();
    private TaskCompletionSource? _gate;

    public List<byte[]> Writes { get; } = [];

    public bool Hold
    {
        set => _gate = value ? new TaskCompletionSource() : null;
    }

    /// <summary>Every write waits until <see cref="ReleaseOne"/> lets it finish.</summary>
    public bool HoldEach { get; set; }

    public void Release()
    {
        var gate = _gate;
        _gate = null;
        gate?.TrySetResult();
    }

    /// <summary>Fails the writes held by <see cref="Hold"/> with <paramref name="fault"/>, as a link that broke under them.</summary>
    public void Fail(Exception fault)
    {
        var gate = _gate;
        _gate = null;
        gate?.TrySetException(fault);
    }

    /// <summary>Completes the oldest held write; the writer's next write happens before this returns.</summary>
    public void ReleaseOne() => _held.Dequeue().TrySetResult();

    /// <summary>When set, every write fails at once with it, as on a socket the peer has reset.</summary>
    public Exception? FailWith { get; set; }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
    {
        Writes.Add(frames.ToArray());
        if (FailWith is { } fault)
        {
            throw fault;
        }

        if (HoldEach)
        {
            var held = new TaskCompletionSource();
            _held.Enqueue(held);
            await held.Task;
        }
        else if (_gate is { } gate)
        {
            await gate.Task;
        }
    }

    public ValueTask ShutdownAsync() => default;

    public void Abort()
    {
    }
}
