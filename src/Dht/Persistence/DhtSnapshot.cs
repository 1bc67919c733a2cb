namespace Overlay.Dht.Persistence;

/// <summary>
/// What a node keeps across restarts: its routing-table contacts, the value records it holds, the
/// provider records it holds for others or announced itself, and the identities its unpinned bootstrap
/// addresses proved.
/// </summary>
public sealed record DhtSnapshot(IReadOnlyList<ContactSnapshot> Contacts, IReadOnlyList<SavedRecord> Records, IReadOnlyList<SavedProvider> Providers)
{
    /// <summary>A snapshot without provider records.</summary>
    public DhtSnapshot(IReadOnlyList<ContactSnapshot> contacts, IReadOnlyList<SavedRecord> records)
        : this(contacts, records, [])
    {
    }

    /// <summary>Identities that bootstrap addresses without a pinned PeerId proved when first dialled (trust on first use).</summary>
    public IReadOnlyList<BootstrapPin> BootstrapPins { get; init; } = [];

    /// <summary>Nothing saved.</summary>
    public static DhtSnapshot Empty { get; } = new([], [], []);
}
