using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Composition;
using Overlay.Node.Hosting;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Composition;

/// <summary>A simulated node's audit nonces come from a source of their own, fixed by the node's seed.</summary>
public sealed class SimulatedNonceTests : IDisposable
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly InMemoryNetwork _net = new(new VirtualTimeProvider(), 1);
    private readonly NodeIdentityHolder _identity = new(NodeIdentity.FromRandom(new Random(3)), createdThisStart: false);

    public void Dispose()
    {
        _identity.Dispose();
        _metrics.Dispose();
    }

    private NodeParts Parts(int seed) => InMemoryNodeParts.Create(
        _net, _identity, seed, bootstrap: null, _ => { }, new DhtOptions(), _metrics.GetRequiredService<IMeterFactory>(), NullLoggerFactory.Instance);

    private static byte[] Nonces(NodeParts parts, int count)
    {
        var bytes = new byte[count * 16];
        for (var i = 0; i < count; i++)
        {
            parts.FillNonce(bytes.AsSpan(i * 16, 16));
        }

        return bytes;
    }

    private static int[] Draws(NodeParts parts) => [.. Enumerable.Range(0, 32).Select(_ => parts.Random.Next())];

    [Fact]
    public void SameSeed_GivesTheSameNonces_AnotherSeedOthers()
    {
        Assert.Equal(Nonces(Parts(7), 8), Nonces(Parts(7), 8));
        Assert.NotEqual(Nonces(Parts(7), 8), Nonces(Parts(8), 8));
        Assert.Equal(SeededNonceSource.DeriveSeed(7), SeededNonceSource.DeriveSeed(7));
        Assert.NotEqual(SeededNonceSource.DeriveSeed(7), SeededNonceSource.DeriveSeed(8));
    }

    [Fact]
    public void DrawingMoreNonces_LeavesTheNodesOtherDrawsAsTheyWere()
    {
        var many = Parts(7);
        var none = Parts(7);
        Nonces(many, 1000);
        Assert.Equal(Draws(none), Draws(many));
    }

    [Fact]
    public void Nonces_AreNotTheNodesOwnStream()
    {
        var parts = Parts(7);
        var own = new byte[16 * 8];
        parts.Random.NextBytes(own);
        Assert.NotEqual(own, Nonces(Parts(7), 8));
    }
}
