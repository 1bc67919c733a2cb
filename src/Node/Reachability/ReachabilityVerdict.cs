namespace Overlay.Node.Reachability;

/// <summary>Whether peers can dial this node at the address it announces, as its last check found.</summary>
public enum ReachabilityVerdict
{
    /// <summary>Not checked yet, or no peer gave a verdict (none known, all refused or did not answer).</summary>
    Unknown,

    /// <summary>At least one peer dialled the announced address and this node proved its PeerId there.</summary>
    Reachable,

    /// <summary>No peer could dial it, and at least one tried and failed: the node runs as a DHT client.</summary>
    Unreachable,

    /// <summary>The node announces no address (it listens nowhere dialable): nothing to check.</summary>
    NotListening,
}
