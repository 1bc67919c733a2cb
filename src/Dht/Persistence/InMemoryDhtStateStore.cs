using Overlay.Crypto;

namespace Overlay.Dht.Persistence;

/// <summary>
/// A node's saved DHT state kept in memory, for simulated nodes: the same changes <c>dht.db</c> takes,
/// applied at once and in order. It is its own journal: a write completes before it returns, so a
/// simulated node never waits on a writer thread outside the simulator's deterministic scheduler.
/// Survives the node (a restarted node loads what it saved), not the process. Not thread-safe: one node's
/// writes arrive under its record store's lock, and the simulator runs on one thread.
/// </summary>
public sealed class InMemoryDhtStateStore : IDhtStateStore, IDhtStateJournal
{
    private readonly Dictionary<PeerId, SavedRecord> _records = [];
    private readonly Dictionary<(PeerId Key, PeerId Provider, bool Announced), SavedProvider> _providers = [];
    private readonly Dictionary<string, BootstrapPin> _pins = new(StringComparer.Ordinal);
    private IReadOnlyList<ContactSnapshot> _contacts = [];

    /// <summary>Creates an empty store.</summary>
    /// <param name="name">What log messages call it (a node's name in the simulation).</param>
    public InMemoryDhtStateStore(string name = "memory")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Path = name;
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>Value records saved.</summary>
    public int RecordCount => _records.Count;

    /// <summary>Contacts in the last saved routing table.</summary>
    public int ContactCount => _contacts.Count;

    /// <inheritdoc/>
    public DhtStateLoadResult Load(DateTimeOffset now)
    {
        var (records, providers) = RemoveExpired(now);
        var snapshot = new DhtSnapshot(_contacts, [.. _records.Values], [.. _providers.Values]) { BootstrapPins = [.. _pins.Values] };
        return new DhtStateLoadResult(snapshot, [], records, providers);
    }

    /// <inheritdoc/>
    public void Apply(IReadOnlyList<DhtStateChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            switch (change.Kind)
            {
                case DhtStateChangeKind.StoreRecord:
                    _records[change.Record.Record.Key] = change.Record with { Sealed = true };
                    break;
                case DhtStateChangeKind.RemoveRecord:
                    _records.Remove(change.Key);
                    break;
                case DhtStateChangeKind.StoreProvider:
                    _providers[KeyOf(change.Provider)] = change.Provider;
                    break;
                case DhtStateChangeKind.RemoveProvider:
                    _providers.Remove(KeyOf(change.Provider));
                    break;
                case DhtStateChangeKind.SaveContacts:
                    // The node hands over a list it made for saving and keeps no reference to it.
                    _contacts = change.Contacts!;
                    break;
                case DhtStateChangeKind.RemoveExpired:
                    RemoveExpired(change.Time);
                    break;
                case DhtStateChangeKind.StoreBootstrapPin:
                    _pins[change.Pin.Address] = change.Pin;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(changes), change.Kind, "Unknown DHT state change.");
            }
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(DhtStateChange change)
    {
        Apply([change]);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Nothing to close: the state stays for a restarted node to load.
    }

    private static (PeerId, PeerId, bool) KeyOf(SavedProvider p) => (p.Record.Key, p.Record.Provider, p.AnnouncedLocally);

    private (int Records, int Providers) RemoveExpired(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var records = 0;
        foreach (var (key, saved) in _records)
        {
            if (saved.Record.ExpiresUnixMs <= nowMs)
            {
                _records.Remove(key);
                records++;
            }
        }

        var providers = 0;
        foreach (var (key, saved) in _providers)
        {
            if (saved.Record.ExpiresUnixMs <= nowMs)
            {
                _providers.Remove(key);
                providers++;
            }
        }

        return (records, providers);
    }
}
