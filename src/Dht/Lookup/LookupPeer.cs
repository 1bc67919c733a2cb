using Overlay.Crypto;

namespace Overlay.Dht.Lookup;

/// <summary>A peer offered to a lookup, with its predicted round-trip time in ms (NaN when unknown).</summary>
public readonly record struct LookupPeer(PeerId Id, double PredictedLatencyMs);
