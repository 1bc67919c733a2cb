namespace Overlay.Transport.InMemory;

/// <summary>
/// Gives the link between two simulated nodes (numbered in creation order from 0). Implement it
/// to take delays from a measured RTT matrix.
/// </summary>
public interface ILatencyModel
{
    /// <summary>The profile of the direction from node <paramref name="from"/> to node <paramref name="to"/>.</summary>
    LinkProfile GetLink(int from, int to);
}
