using Overlay.Crypto;
using Overlay.Placement.Trust;

namespace Overlay.Node.Tests.Trust;

/// <summary>Deterministic keys and rows for the trust/1 tests.</summary>
internal static class TrustTestData
{
    /// <summary>The identity whose seed starts with <paramref name="n"/>.</summary>
    public static NodeIdentity Identity(int n)
    {
        var seed = new byte[NodeIdentity.SeedSize];
        seed[0] = (byte)n;
        return NodeIdentity.FromSeed(seed);
    }

    /// <summary>A normalised row of <paramref name="entries"/> random peers, the same for the same count.</summary>
    public static LocalTrustVector Row(int entries)
    {
        var random = new Random(entries);
        return LocalTrustVector.FromScores(default, Enumerable.Range(0, entries).Select(i => new KeyValuePair<PeerId, double>(PeerId.Random(random), i + 1)), 256);
    }
}
