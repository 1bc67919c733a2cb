namespace Overlay.Dht;

/// <summary>Item counts of one node's growing structures, for memory accounting.</summary>
internal readonly record struct DhtNodeCensus(
    int Contacts, int ReplacementEntries, int RateLimitedPeers, int FilteredPeers, int Coordinates, int Records, int PooledConnections);
