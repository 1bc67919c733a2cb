using Overlay.Crypto;

namespace Overlay.Placement.Tests;

/// <summary>One copy of each peer's key per node, kept while anything in the node holds it.</summary>
public sealed class IdentityKeyringTests
{
    [Fact]
    public void Hold_TheSameIdentityTwice_KeepsTheFirstCopy_UntilTheLastHolderReleasesIt()
    {
        using var peer = NodeIdentity.FromSeed(Seed(21));
        var first = IdentityPublicKey.Decode(peer.PublicKey.Encoded);
        var second = IdentityPublicKey.Decode(peer.PublicKey.Encoded);
        Assert.NotSame(first, second);
        var keyring = new IdentityKeyring();
        Assert.Null(keyring.Find(peer.PeerId));

        Assert.Same(first, keyring.Hold(first));
        Assert.Same(first, keyring.Hold(second));
        Assert.Equal(1, keyring.Count);

        keyring.Release(peer.PeerId);
        Assert.Same(first, keyring.Find(peer.PeerId));
        keyring.Release(peer.PeerId);
        Assert.Null(keyring.Find(peer.PeerId));
        Assert.Equal(0, keyring.Count);

        // Releasing what is not held changes nothing; the next hold starts a new copy.
        keyring.Release(peer.PeerId);
        Assert.Same(second, keyring.Hold(second));
    }

    private static byte[] Seed(byte value)
    {
        var seed = new byte[NodeIdentity.SeedSize];
        seed[0] = value;
        return seed;
    }
}
