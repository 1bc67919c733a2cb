using Overlay.Dht.Records;

namespace Overlay.Dht.Persistence;

/// <summary>
/// A provider record kept across restarts: either one this node holds for another peer
/// (<see cref="AnnouncedLocally"/> false, served to lookups as before the restart), or this node's own
/// announcement (<see cref="AnnouncedLocally"/> true, its <see cref="ProviderRecord.Provider"/> is this
/// node), which it re-announces when due.
/// </summary>
public readonly record struct SavedProvider(ProviderRecord Record, bool AnnouncedLocally);
