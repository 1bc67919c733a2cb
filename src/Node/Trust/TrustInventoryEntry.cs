using Overlay.Crypto;

namespace Overlay.Node.Trust;

/// <summary>One record a peer holds, as its INVENTORY answer lists it: the issuer and the record's issue time (its version).</summary>
public readonly record struct TrustInventoryEntry(PeerId Issuer, long IssuedUnixMs);
