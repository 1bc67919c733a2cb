namespace Overlay.Dht.Persistence;

/// <summary>What one <see cref="DhtStateChange"/> does to the saved state.</summary>
public enum DhtStateChangeKind
{
    /// <summary>Keeps a value record (inserting it, or replacing the one under its key).</summary>
    StoreRecord,

    /// <summary>Forgets the value record under a key.</summary>
    RemoveRecord,

    /// <summary>Keeps a provider record (held for another peer, or this node's own announcement).</summary>
    StoreProvider,

    /// <summary>Forgets one provider record.</summary>
    RemoveProvider,

    /// <summary>Makes the saved contacts equal to a list: writes the ones that changed, deletes the ones gone.</summary>
    SaveContacts,

    /// <summary>Deletes every record and provider record expired at a time.</summary>
    RemoveExpired,

    /// <summary>Keeps the identity a bootstrap address proved on first use, replacing the one saved for that address.</summary>
    StoreBootstrapPin,
}
