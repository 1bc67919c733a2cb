using System.Threading.Channels;

namespace Overlay.Transport;

/// <summary>
/// The queue between a listener's accept loop and <see cref="ITransportListener.AcceptAsync"/>.
/// Bounded and dropping: an inbound connection is served by the handler whether or not anyone
/// accepts it, so a listener nobody drains only stops reporting connections, never holds them up.
/// </summary>
internal sealed class AcceptedConnections
{
    /// <summary>Connections reported but not yet accepted, at most.</summary>
    public const int Capacity = 256;

    private readonly Channel<ITransportConnection> _channel = Channel.CreateBounded<ITransportConnection>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Reports an authenticated inbound connection; dropped when the queue is full or completed.</summary>
    public void Offer(ITransportConnection connection) => _channel.Writer.TryWrite(connection);

    /// <summary>Ends the queue: waiting and later accepts fail with <see cref="TransportError.Closed"/>.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>The next reported connection of the listener bound to <paramref name="localAddress"/>.</summary>
    public async ValueTask<ITransportConnection> TakeAsync(TransportAddress localAddress, CancellationToken cancellationToken)
    {
        try
        {
            return await _channel.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new TransportException(TransportError.Closed, $"The listener on {localAddress} is closed.", ex);
        }
    }
}
