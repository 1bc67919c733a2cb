using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// "Peer <see cref="Provider"/> holds the content named by <see cref="Key"/> until <see cref="Expires"/>."
/// Not signed: the connection that carries it already authenticates the sender, and a node accepts a
/// provider record only from the provider itself (as libp2p's ADD_PROVIDER does).
/// </summary>
/// <param name="Key">Content key in the DHT keyspace.</param>
/// <param name="Provider">The peer that holds the content.</param>
/// <param name="ExpiresUnixMs">Expiry in milliseconds since the Unix epoch.</param>
public sealed record ProviderRecord(PeerId Key, PeerId Provider, long ExpiresUnixMs)
{
    /// <summary>Expiry as a time.</summary>
    public DateTimeOffset Expires => DateTimeOffset.FromUnixTimeMilliseconds(ExpiresUnixMs);
}
