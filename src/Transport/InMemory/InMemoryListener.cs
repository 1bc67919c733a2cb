using System.Threading.Channels;

namespace Overlay.Transport.InMemory;

/// <summary>A bound in-memory address.</summary>
internal sealed class InMemoryListener : ITransportListener
{
    private readonly InMemoryTransport _owner;

    // Bounded: connections nobody accepts are still served; they are only not reported.
    private readonly Channel<ITransportConnection> _accepted = Channel.CreateBounded<ITransportConnection>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = false, SingleWriter = true });

    public InMemoryListener(InMemoryTransport owner, TransportAddress localAddress)
    {
        _owner = owner;
        LocalAddress = localAddress;
    }

    public TransportAddress LocalAddress { get; }

    public bool IsDisposed { get; private set; }

    public async ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new TransportException(TransportError.Closed, $"The listener on {LocalAddress} is closed.", ex);
        }
    }

    public void Offer(ITransportConnection connection) => _accepted.Writer.TryWrite(connection);

    public void Stop()
    {
        if (IsDisposed)
        {
            return;
        }

        IsDisposed = true;
        _accepted.Writer.TryComplete();
        _owner.Forget(this);
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return default;
    }
}
