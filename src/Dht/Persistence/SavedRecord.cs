using Overlay.Dht.Records;

namespace Overlay.Dht.Persistence;

/// <summary>A value record held by a node, and whether the node published it itself (and so re-signs it when due).</summary>
public readonly record struct SavedRecord(DhtRecord Record, bool PublishedLocally);
