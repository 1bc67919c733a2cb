namespace Overlay.Dht.Persistence;

/// <summary>What a node keeps across restarts: its routing-table contacts and the value records it holds.</summary>
public sealed record DhtSnapshot(IReadOnlyList<ContactSnapshot> Contacts, IReadOnlyList<SavedRecord> Records)
{
    /// <summary>Nothing saved.</summary>
    public static DhtSnapshot Empty { get; } = new([], []);
}
