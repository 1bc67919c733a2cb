using Overlay.Crypto;

namespace Overlay.Placement.Tests;

/// <summary>Distinct, reproducible PeerIds for tests: peer n is always the same id.</summary>
internal static class TestPeers
{
    public static PeerId Id(int n) => PeerId.Random(new Random(1_000_003 * (n + 1)));

    public static PeerId[] Ids(int count, int first = 0)
    {
        var ids = new PeerId[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = Id(first + i);
        }

        return ids;
    }
}
