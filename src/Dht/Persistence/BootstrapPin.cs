using Overlay.Crypto;

namespace Overlay.Dht.Persistence;

/// <summary>
/// The identity a bootstrap address configured without <c>/p2p/PEERID</c> proved the first time it
/// was dialled; later dials to that address must prove the same one (trust on first use).
/// </summary>
/// <param name="Address">The configured address without a pinned PeerId, e.g. <c>tcp://192.0.2.7:4001</c>.</param>
/// <param name="Peer">The identity it proved.</param>
/// <param name="FirstSeen">When it first proved it.</param>
public readonly record struct BootstrapPin(string Address, PeerId Peer, DateTimeOffset FirstSeen);
