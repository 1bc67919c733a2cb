using Overlay.Dht.Records;

namespace Overlay.Dht.Persistence;

/// <summary>
/// A provider record kept across restarts: either one this node holds for another peer
/// (<see cref="AnnouncedLocally"/> false, served to lookups as before the restart), or this node's own
/// announcement (<see cref="AnnouncedLocally"/> true, its <see cref="ProviderRecord.Provider"/> is this
/// node), which it re-announces when due.
/// </summary>
/// <param name="Record">The record, with its provider's key and signature (an own announcement saved before signatures may have none).</param>
/// <param name="AnnouncedLocally">True for this node's own announcement.</param>
/// <param name="Sealed">
/// True when the state store read it from a row whose seal, made by this node, covers every field the record has
/// (key, signature included): this node checked the signature before saving it, so restoring skips that check.
/// </param>
public readonly record struct SavedProvider(ProviderRecord Record, bool AnnouncedLocally, bool Sealed = false);
