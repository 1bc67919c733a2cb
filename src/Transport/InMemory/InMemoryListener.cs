
namespace Overlay.Transport.InMemory;

/// <summary>A bound in-memory address.</summary>
internal sealed class InMemoryListener : ITransportListener
{
    private readonly InMemoryTransport _owner;

    private readonly AcceptedConnections _accepted = new();

    public InMemoryListener(InMemoryTransport owner, TransportAddress localAddress)
    {
        _owner = owner;
        LocalAddress = localAddress;
    }

    public TransportAddress LocalAddress { get; }

    public bool IsDisposed { get; private set; }

    public ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
        _accepted.TakeAsync(LocalAddress, cancellationToken);

    public void Offer(ITransportConnection connection) => _accepted.Offer(connection);

    public void Stop()
    {
        if (IsDisposed)
        {
            return;
        }

        IsDisposed = true;
        _accepted.Complete();
        _owner.Forget(this);
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return default;
    }
}
