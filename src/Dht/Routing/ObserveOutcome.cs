namespace Overlay.Dht.Routing;

/// <summary>What <see cref="RoutingTable.Observe"/> did with a contact.</summary>
public enum ObserveOutcome
{
    /// <summary>The contact was new and the bucket had room.</summary>
    Added,

    /// <summary>The contact was already in the table; it moved to the most-recently-seen end.</summary>
    Updated,

    /// <summary>
    /// The bucket is full: the contact went to the replacement cache and the caller must ping
    /// <see cref="ObserveResult.PingTarget"/> and report with <see cref="RoutingTable.OnPingResult"/>.
    /// </summary>
    PingRequired,

    /// <summary>The bucket is full and a ping is already outstanding: the contact waits in the replacement cache.</summary>
    Cached,

    /// <summary>The contact is the table's own id.</summary>
    RejectedSelf,

    /// <summary>The bucket already holds the allowed number of contacts of this network group.</summary>
    RejectedGroupLimitInBucket,

    /// <summary>The table already holds the allowed number of contacts of this network group.</summary>
    RejectedGroupLimitInTable,
}
