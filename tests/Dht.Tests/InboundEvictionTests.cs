using System.Buffers;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests;

/// <summary>
/// Kademlia §2.2 on inbound traffic: a request from a peer new to a full bucket makes the node ping that
/// bucket's least-recently-seen contact, keep it if it answers, and otherwise let the newcomer in.
/// Real node, real handlers, in-memory network; the peers' ids are written by hand against the node's
/// id so that all of them fall in bucket 0 (they differ from it in the first bit).
/// </summary>
public sealed class InboundEvictionTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Meter _meter = new("Overlay.Dht.Tests.Eviction." + Guid.NewGuid().ToString("N"));
    private readonly NodeIdentity _identity = NodeIdentity.FromRandom(new Random(21));

    public void Dispose()
    {
        _identity.Dispose();
        _meter.Dispose();
    }

    private static DhtOptions Options() => new()
    {
        K = 2,
        ReplacementCacheSize = 2,
        MaxContactsPerGroupPerBucket = 2,
        MaxContactsPerGroupInTable = 65536,
        RequestTimeout = TimeSpan.FromSeconds(2),
        FreshContactWindow = TimeSpan.FromMinutes(1),
    };

    /// <summary>The node's id with the top byte XORed by <paramref name="top"/>: top ≥ 0x80 puts it in bucket 0.</summary>
    private static PeerId Near(PeerId node, byte top) => node.Xor(TinyIds.Of(top));

    [Fact]
    public void InboundRequest_FromNewcomerToFullBucket_PingsOldestAndKeepsItWhenItAnswers()
    {
        var (clock, net, node, options, b, c, d) = FullBucketScenario();
        net.Run(async () =>
        {
            var address = await FillBucketAsync(node, b, c);
            Assert.Equal(2, node.ContactCount);

            // Only a contact silent for the whole fresh window is worth a ping.
            await Task.Delay(options.FreshContactWindow, clock);
            await d.PingAsync(address);
            await Task.Delay(options.RequestTimeout * 2, clock);
        });

        // b, the least recently seen, was asked and answered: it stays, and the newcomer waits in the cache.
        Assert.Equal(1, b.RequestsServed);
        Assert.Equal(0, c.RequestsServed);
        Assert.True(node.FailuresOf(b.Id) >= 0);
        Assert.True(node.FailuresOf(c.Id) >= 0);
        Assert.Equal(-1, node.FailuresOf(d.Id));
        Assert.Equal(1, node.Census().ReplacementEntries);
    }

    [Fact]
    public void InboundRequest_FromNewcomerToFullBucket_ReplacesOldestWhenItIsGone()
    {
        var (clock, net, node, options, b, c, d) = FullBucketScenario();
        net.Run(async () =>
        {
            var address = await FillBucketAsync(node, b, c);
            b.Transport.Kill();
            await Task.Delay(options.FreshContactWindow, clock);
            await d.PingAsync(address);
            await Task.Delay(options.RequestTimeout * 2, clock);
        });

        Assert.Equal(-1, node.FailuresOf(b.Id));
        Assert.True(node.FailuresOf(c.Id) >= 0);
        Assert.True(node.FailuresOf(d.Id) >= 0);
        Assert.Equal(2, node.ContactCount);
        Assert.Equal(0, c.RequestsServed);
    }

    [Fact]
    public void InboundRequests_FromNewcomersToFullBucketOfFreshContacts_CacheThemWithoutPinging()
    {
        var (clock, net, node, options, b, c, d) = FullBucketScenario();
        var f = Peer(net, Near(node.Id, 0x90), options, clock);
        net.Run(async () =>
        {
            var address = await FillBucketAsync(node, b, c);
            // Newcomers keep arriving, each more than one request timeout after the last: b and c were
            // heard from within the fresh window, so neither is pinged however often a newcomer shows up.
            for (var i = 0; i < 3; i++)
            {
                await Task.Delay(options.RequestTimeout * 2, clock);
                await d.PingAsync(address);
                await f.PingAsync(address);
            }

            await Task.Delay(options.RequestTimeout * 2, clock);
        });

        Assert.Equal(0, b.RequestsServed);
        Assert.Equal(0, c.RequestsServed);
        Assert.True(node.FailuresOf(b.Id) >= 0);
        Assert.True(node.FailuresOf(c.Id) >= 0);
        Assert.Equal(-1, node.FailuresOf(d.Id));
        Assert.Equal(2, node.Census().ReplacementEntries);
    }

    [Fact]
    public void InboundRequest_FromNewcomerToBucketWithRoom_AddsItWithoutPinging()
    {
        var (clock, net, node) = Network();
        var options = Options();
        var b = Peer(net, Near(node.Id, 0x80), options, clock);
        var e = Peer(net, Near(node.Id, 0x40), options, clock); // bucket 1
        net.Run(async () =>
        {
            var address = await node.StartAsync(((InMemoryTransport)node.Transport).Host, CancellationToken.None);
            await b.PingAsync(address);
            await e.PingAsync(address);
            await Task.Delay(options.RequestTimeout * 2, clock);
        });

        Assert.Equal(2, node.ContactCount);
        Assert.Equal(0, b.RequestsServed);
        Assert.Equal(0, node.Census().ReplacementEntries);
    }

    /// <summary>The node and three peers for its bucket 0, which holds two (K = 2): b and c fill it, d is the newcomer.</summary>
    private (VirtualTimeProvider Clock, InMemoryNetwork Net, DhtNode Node, DhtOptions Options, TestPeer B, TestPeer C, TestPeer D) FullBucketScenario()
    {
        var (clock, net, node) = Network();
        var options = Options();
        return (clock, net, node, options,
            Peer(net, Near(node.Id, 0x80), options, clock), Peer(net, Near(node.Id, 0xC0), options, clock), Peer(net, Near(node.Id, 0xA0), options, clock));
    }

    /// <summary>Starts the node and lets <paramref name="oldest"/>, then <paramref name="newer"/>, into its full bucket; returns its address.</summary>
    private static async Task<TransportAddress> FillBucketAsync(DhtNode node, TestPeer oldest, TestPeer newer)
    {
        var address = await node.StartAsync(((InMemoryTransport)node.Transport).Host, CancellationToken.None);
        await oldest.PingAsync(address);
        await newer.PingAsync(address);
        return address;
    }

    private (VirtualTimeProvider Clock, InMemoryNetwork Net, DhtNode Node) Network()
    {
        var clock = new VirtualTimeProvider(Start);
        var net = new InMemoryNetwork(clock, seed: 3);
        var node = new DhtNode(_identity, Options(), clock, new Random(4), h => net.CreateNode(_identity.PeerId, h), meter: _meter);
        return (clock, net, node);
    }

    private TestPeer Peer(InMemoryNetwork net, PeerId id, DhtOptions options, TimeProvider clock)
    {
        var table = new RoutingTable(id, options, Start);
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var handler = new CountingHandler(new DhtRequestHandler(table, store, new PeerRateLimiter(options), options, clock, new DhtMetrics(_meter), () => (default, 1.0)));
        return new TestPeer(id, net.CreateNode(id, new ProtocolDispatcher(ProtocolIds.Dht, handler)), handler);
    }

    /// <summary>A peer that answers with a real request handler and sends PINGs that name its listen address.</summary>
    private sealed class TestPeer(PeerId id, InMemoryTransport transport, CountingHandler handler)
    {
        private string? _address;

        public PeerId Id { get; } = id;

        public InMemoryTransport Transport { get; } = transport;

        public int RequestsServed => handler.Requests;

        public async Task PingAsync(TransportAddress node)
        {
            _address ??= (await Transport.ListenAsync(Transport.Host)).LocalAddress.WithPeer(null).ToString();
            var request = new byte[DhtMessageCodec.PingRequestLength(_address)];
            DhtMessageCodec.WritePingRequest(request, _address);
            var connection = await Transport.DialAsync(node);
            using var response = await connection.RequestAsync(ProtocolIds.Dht, request);
            Assert.True(DhtMessageCodec.TryDecode(response.Payload.Span, new DhtOptions(), out var answer, out _));
            Assert.Equal(DhtMessageType.Pong, answer.Type);
        }
    }

    private sealed class CountingHandler(IProtocolHandler inner) : IProtocolHandler
    {
        public int Requests { get; private set; }

        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            Requests++;
            return inner.HandleRequestAsync(connection, request, response, cancellationToken);
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
            inner.HandleMessageAsync(connection, message, cancellationToken);

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
            inner.HandleStreamAsync(connection, stream, cancellationToken);
    }
}
