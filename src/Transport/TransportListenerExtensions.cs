namespace Overlay.Transport;

/// <summary>Helpers over <see cref="ITransportListener"/>.</summary>
public static class TransportListenerExtensions
{
    /// <summary>
    /// Takes inbound connections off the listener's queue until the listener closes, for a node whose
    /// protocol handlers serve connections whether or not they are accepted: an undrained queue would
    /// keep up to its capacity of closed connections (and their buffers) alive for the node's lifetime.
    /// </summary>
    public static async Task DrainAcceptedAsync(this ITransportListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        while (true)
        {
            try
            {
                await listener.AcceptAsync(CancellationToken.None);
            }
            catch (TransportException ex) when (ex.Reason == TransportError.Closed)
            {
                // The listener stopped: nothing more will be queued.
                return;
            }
            catch (TransportException)
            {
                // One failed handshake does not stop the queue.
            }
        }
    }
}
