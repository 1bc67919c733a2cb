using Overlay.Dht.Persistence;

namespace Overlay.Dht.Tests.Persistence;

/// <summary>
/// A journal that applies each change to its store at once, on the caller's thread: the node's saves
/// happen in order on the simulator's scheduler, with no writer thread racing the virtual clock.
/// </summary>
internal sealed class SynchronousJournal(IDhtStateStore store) : IDhtStateJournal
{
    public int Writes { get; private set; }

    public Task WriteAsync(DhtStateChange change)
    {
        Writes++;
        try
        {
            store.Apply([change]);
            return Task.CompletedTask;
        }
        catch (DhtStateException e)
        {
            return Task.FromException(e);
        }
    }
}
