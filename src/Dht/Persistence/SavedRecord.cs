using Overlay.Dht.Records;

namespace Overlay.Dht.Persistence;

/// <summary>A value record held by a node, and whether the node published it itself (and so re-signs it when due).</summary>
/// <param name="Record">The record.</param>
/// <param name="PublishedLocally">Whether this node published it.</param>
/// <param name="Sealed">
/// Set by loading only: the row carried this node's seal (<see cref="DhtRowSeal"/>), so this node wrote it
/// after checking the record, and nobody without the node's secret changed it since. Its signature need
/// not be checked again. False for every other row, which is checked like a record from the network.
/// </param>
public readonly record struct SavedRecord(DhtRecord Record, bool PublishedLocally, bool Sealed = false);
