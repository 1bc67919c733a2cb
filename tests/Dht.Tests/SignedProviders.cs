using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Tests;

/// <summary>Provider records signed by real node identities, as a node's own announcements are.</summary>
internal static class SignedProviders
{
    /// <summary>A record naming <paramref name="provider"/> as holding <paramref name="key"/> until <paramref name="expires"/>, signed by it.</summary>
    public static ProviderRecord Sign(NodeIdentity provider, PeerId key, DateTimeOffset expires) =>
        Sign(provider, key, expires.ToUnixTimeMilliseconds());

    /// <summary>As <see cref="Sign(NodeIdentity, PeerId, DateTimeOffset)"/>, the expiry in Unix milliseconds.</summary>
    public static ProviderRecord Sign(NodeIdentity provider, PeerId key, long expiresUnixMs) =>
        ProviderRecord.Create(key, provider.PeerId, expiresUnixMs, provider.PublicKey.Encoded, p => provider.Sign(p));

    /// <summary>A record that names <paramref name="named"/> as the provider but is signed by <paramref name="signer"/> with its own key.</summary>
    public static ProviderRecord Forge(NodeIdentity signer, PeerId named, PeerId key, DateTimeOffset expires) =>
        ProviderRecord.Create(key, named, expires.ToUnixTimeMilliseconds(), signer.PublicKey.Encoded, p => signer.Sign(p));
}
