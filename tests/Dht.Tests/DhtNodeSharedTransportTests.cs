using Overlay.Dht.Wire;
using System.Buffers;
using Overlay.Crypto;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Pooling;

namespace Overlay.Dht.Tests;

/// <summary>DHT nodes built on a host's transport and pool, the way the daemon runs them: one listener, one pool per node.</summary>
public sealed class DhtNodeSharedTransportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SharedTransport_RequestsArriveThroughTheHostsDispatcher_DialsGoThroughItsPool_AndDisposeLeavesBothOpen()
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 3);
        var options = new DhtOptions();
        var identities = new List<NodeIdentity>();
        var hosts = new List<CountingHandler>();
        var pools = new List<ConnectionPool>();
        var nodes = new List<DhtNode>();
        var addresses = new List<TransportAddress>();
        var stored = 0;
        Overlay.Dht.Records.DhtRecord? found = null;
        var key = PeerId.Random(new Random(4));

        net.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var identity = NodeIdentity.FromRandom(new Random(100 + i));
                var protocols = new ProtocolDispatcher();
                protocols.Register(ProtocolIds.Dht);
                var transport = net.CreateNode(identity.PeerId, protocols);
                var listener = await transport.ListenAsync(transport.Host);
                var pool = new ConnectionPool(transport, new TransportOptions(), clock);
                var node = new DhtNode(identity, options, clock, new Random(i), new PooledDhtNetwork(transport, pool), listener.LocalAddress);
                var host = new CountingHandler(node.RequestHandler);
                protocols.Attach(ProtocolIds.Dht, host);
                identities.Add(identity);
                hosts.Add(host);
                pools.Add(pool);
                nodes.Add(node);
                addresses.Add(listener.LocalAddress);
            }

            await nodes[1].BootstrapAsync([addresses[0]], CancellationToken.None);
            await nodes[2].BootstrapAsync([addresses[0]], CancellationToken.None);
            stored = (await nodes[1].PutAsync(key, "shared"u8.ToArray(), CancellationToken.None)).StoredOn;
            found = await nodes[2].GetAsync(key, CancellationToken.None);
            await nodes[2].DisposeAsync();
        });

        Assert.Equal(2, stored);
        Assert.NotNull(found);
        Assert.Equal("shared"u8.ToArray(), found.Value.ToArray());
        // Every DHT request reached a node through its host's dispatcher, and every dial went through the host's pool.
        Assert.All(hosts, h => Assert.True(h.Forwarded > 0));
        Assert.All(pools.Skip(1), p => Assert.True(p.DialCount > 0));
        Assert.Equal(nodes[1].Address, addresses[1].WithPeer(null).ToString());
        // Disposing the node left the host's pool open: it still hands out its connections.
        Assert.True(pools[2].Count > 0);
        foreach (var identity in identities)
        {
            identity.Dispose();
        }
    }

    [Fact]
    public async Task SharedTransport_StartCoordinate_IsTheCoordinateBeforeAnyRoundTrip()
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 5);
        using var identity = NodeIdentity.FromRandom(new Random(7));
        var transport = net.CreateNode(identity.PeerId, new ProtocolDispatcher());
        await using var pool = new ConnectionPool(transport, new TransportOptions(), clock);
        var start = Overlay.Dht.Coordinates.VivaldiCoordinate.FromLocation(48.1, 11.6);
        var node = new DhtNode(identity, new DhtOptions(), clock, new Random(1), new PooledDhtNetwork(transport, pool), null, startCoordinate: start);

        // The plane position is the location's; the height starts at its floor (MinHeight).
        var coordinate = node.CurrentCoordinate().Coordinate;
        Assert.Equal((start.X, start.Y), (coordinate.X, coordinate.Y));
        Assert.Null(node.Address);
    }

    /// <summary>The DHT's handler as the host registers it, counting what it forwards.</summary>
    private sealed class CountingHandler(IProtocolHandler dht) : IProtocolHandler
    {
        public int Forwarded { get; private set; }

        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            Forwarded++;
            return dht.HandleRequestAsync(connection, request, response, cancellationToken);
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
