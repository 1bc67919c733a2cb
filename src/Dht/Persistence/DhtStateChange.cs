using Overlay.Crypto;

namespace Overlay.Dht.Persistence;

/// <summary>
/// One change to a node's saved DHT state. Changes are applied in the order they were made, many to a
/// transaction (<see cref="IDhtStateStore.Apply"/>); build them with the factory methods.
/// </summary>
public readonly record struct DhtStateChange
{
    private DhtStateChange(DhtStateChangeKind kind, SavedRecord record = default, SavedProvider provider = default, PeerId key = default,
        IReadOnlyList<ContactSnapshot>? contacts = null, DateTimeOffset time = default, BootstrapPin pin = default)
    {
        Kind = kind;
        Record = record;
        Provider = provider;
        Key = key;
        Contacts = contacts;
        Time = time;
        Pin = pin;
    }

    /// <summary>What the change does.</summary>
    public DhtStateChangeKind Kind { get; }

    /// <summary>The record kept by <see cref="DhtStateChangeKind.StoreRecord"/>.</summary>
    public SavedRecord Record { get; }

    /// <summary>The provider record kept or forgotten by <see cref="DhtStateChangeKind.StoreProvider"/> and <see cref="DhtStateChangeKind.RemoveProvider"/>.</summary>
    public SavedProvider Provider { get; }

    /// <summary>The key forgotten by <see cref="DhtStateChangeKind.RemoveRecord"/>.</summary>
    public PeerId Key { get; }

    /// <summary>The whole contact list of <see cref="DhtStateChangeKind.SaveContacts"/>.</summary>
    public IReadOnlyList<ContactSnapshot>? Contacts { get; }

    /// <summary>The time of <see cref="DhtStateChangeKind.RemoveExpired"/>.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The pin kept by <see cref="DhtStateChangeKind.StoreBootstrapPin"/>.</summary>
    public BootstrapPin Pin { get; }

    /// <summary>Keeps <paramref name="record"/> under its key, replacing what was there.</summary>
    public static DhtStateChange StoreRecord(SavedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record.Record);
        return new(DhtStateChangeKind.StoreRecord, record: record);
    }

    /// <summary>Forgets the record under <paramref name="key"/>.</summary>
    public static DhtStateChange RemoveRecord(PeerId key) => new(DhtStateChangeKind.RemoveRecord, key: key);

    /// <summary>Keeps <paramref name="provider"/>, replacing the same (key, provider, kind) row.</summary>
    public static DhtStateChange StoreProvider(SavedProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider.Record);
        return new(DhtStateChangeKind.StoreProvider, provider: provider);
    }

    /// <summary>Forgets <paramref name="provider"/>'s (key, provider, kind) row.</summary>
    public static DhtStateChange RemoveProvider(SavedProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider.Record);
        return new(DhtStateChangeKind.RemoveProvider, provider: provider);
    }

    /// <summary>Makes the saved contacts equal to <paramref name="contacts"/> (those without an address are not saved).</summary>
    public static DhtStateChange SaveContacts(IReadOnlyList<ContactSnapshot> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        return new(DhtStateChangeKind.SaveContacts, contacts: contacts);
    }

    /// <summary>Deletes the records and provider records expired at <paramref name="now"/>.</summary>
    public static DhtStateChange RemoveExpired(DateTimeOffset now) => new(DhtStateChangeKind.RemoveExpired, time: now);

    /// <summary>Keeps <paramref name="pin"/>, replacing the pin saved for its address.</summary>
    public static DhtStateChange StoreBootstrapPin(BootstrapPin pin)
    {
        ArgumentException.ThrowIfNullOrEmpty(pin.Address);
        return new(DhtStateChangeKind.StoreBootstrapPin, pin: pin);
    }
}
