using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>A FIND_VALUE answer: the record if the peer holds one, otherwise (or also) closer peers.</summary>
public sealed record FindValueResponse(DhtRecord? Record, IReadOnlyList<DhtPeer> Closer);
