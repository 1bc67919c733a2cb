using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>One normalised local-trust value c_ij: how much the issuer i trusts <paramref name="Peer"/> j, in (0, 1].</summary>
/// <param name="Peer">The peer trusted.</param>
/// <param name="Value">c_ij in (0, 1]; the values of one row sum to 1.</param>
public readonly record struct TrustEntry(PeerId Peer, float Value);
