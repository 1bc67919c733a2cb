using Overlay.Transport.Mux;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>A link that records each batch it is given; optionally holds writes until released.</summary>
internal sealed class RecordingLink : IFrameLink
{
    private TaskCompletionSource? _gate;

    public List<byte[]> Writes { get; } = [];

    public bool Hold
    {
        set => _gate = value ? new TaskCompletionSource() : null;
    }

    public void Release()
    {
        var gate = _gate;
        _gate = null;
        gate?.TrySetResult();
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
    {
        Writes.Add(frames.ToArray());
        if (_gate is { } gate)
        {
            await gate.Task;
        }
    }

    public ValueTask ShutdownAsync() => default;

    public void Abort()
    {
    }
}
