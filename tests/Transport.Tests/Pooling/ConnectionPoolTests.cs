using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Pooling;
using Overlay.Transport.Tests.Contract;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Pooling;

public sealed class ConnectionPoolTests
{
    private sealed class Sim
    {
        private readonly Random _ids = new(31);

        public Sim()
        {
            Network = new InMemoryNetwork(new VirtualTimeProvider(), 3, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(5))), recordEvents: true);
        }

        public InMemoryNetwork Network { get; }

        public InMemoryTransport Node(TransportOptions? options = null)
            => Network.CreateNode(PeerId.Random(_ids), new TestHandler().Protocols, options);

        public async Task<TransportAddress> ListenAsync(InMemoryTransport node)
            => (await node.ListenAsync(node.Host)).LocalAddress;
    }

    // Keep-alive every 10 s; the pool's idle sweep (an hour) out of the way.
    private static TransportOptions KeepAliveOptions(TimeSpan? requestTimeout = null) => new()
    {
        IdleTimeout = TimeSpan.FromHours(1), KeepAliveInterval = TimeSpan.FromSeconds(10), RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10),
    };

    [Fact]
    public void GetAsync_ConcurrentForOnePeer_DialsOnceAndReuses()
    {
        var sim = new Sim();
        var client = sim.Node();
        var server = sim.Node();
        sim.Network.Run(async () =>
        {
            var address = await sim.ListenAsync(server);
            await using var pool = new ConnectionPool(client, new TransportOptions(), sim.Network.Clock);
            var gets = new Task<ITransportConnection>[10];
            for (var i = 0; i < gets.Length; i++)
            {
                gets[i] = pool.GetAsync(address).AsTask();
            }

            var connections = await Task.WhenAll(gets);
            foreach (var c in connections)
            {
                Assert.Same(connections[0], c);
            }

            Assert.Same(connections[0], await pool.GetAsync(address));
            Assert.Equal(1, pool.DialCount);
            Assert.Equal(1, server.ConnectionCount);
        });
    }

    [Fact]
    public void GetAsync_OverMaxConnections_EvictsTheLeastRecentlyUsedIdle()
    {
        var sim = new Sim();
        var client = sim.Node();
        var servers = new[] { sim.Node(), sim.Node(), sim.Node() };
        sim.Network.Run(async () =>
        {
            var addresses = new List<TransportAddress>();
            foreach (var s in servers)
            {
                addresses.Add(await sim.ListenAsync(s));
            }

            await using var pool = new ConnectionPool(client, new TransportOptions { MaxConnections = 2, MaxConnectionsPerAddress = 2 }, sim.Network.Clock);
            var a = await pool.GetAsync(addresses[0]);
            await Task.Delay(TimeSpan.FromSeconds(1), sim.Network.Clock);
            var b = await pool.GetAsync(addresses[1]);
            await Task.Delay(TimeSpan.FromSeconds(1), sim.Network.Clock);

            // Using a makes b the least recently used.
            Assert.Same(a, await pool.GetAsync(addresses[0]));
            var c = await pool.GetAsync(addresses[2]);

            Assert.True(b.Closed.IsCancellationRequested);
            Assert.False(a.Closed.IsCancellationRequested);
            Assert.False(c.Closed.IsCancellationRequested);
            Assert.Equal(2, pool.Count);
            Assert.False(pool.TryGet(servers[1].PeerId, out _));
        });
    }

    [Fact]
    public void Sweep_IdleConnection_ClosesExactlyAfterTheIdleTimeout()
    {
        var sim = new Sim();
        var options = new TransportOptions { IdleTimeout = TimeSpan.FromSeconds(30), KeepAliveInterval = TimeSpan.FromSeconds(10) };
        var client = sim.Node(options);
        var server = sim.Node(options);
        ConnectionPool? pool = null;
        ITransportConnection? connection = null;
        TimeSpan usedAt = default;
        sim.Network.Run(async () =>
        {
            var address = await sim.ListenAsync(server);
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            connection = await pool.GetAsync(address);
            using var r = await connection.RequestAsync(TestProtocols.Control, new byte[4], MessagePriority.High);
            usedAt = sim.Network.Clock.Elapsed;
        });

        // The sweep runs every tenth of the timeout; an idle connection sends nothing meanwhile.
        var sweep = pool!.SweepInterval;
        var firstSweepAfterTimeout = TimeSpan.FromTicks(((usedAt + options.IdleTimeout).Ticks + sweep.Ticks - 1) / sweep.Ticks * sweep.Ticks);
        var before = sim.Network.SegmentsDelivered;
        sim.Network.RunFor(firstSweepAfterTimeout - sim.Network.Clock.Elapsed - TimeSpan.FromTicks(1));
        Assert.False(connection!.Closed.IsCancellationRequested);
        Assert.Equal(1, pool.Count);
        Assert.Equal(before, sim.Network.SegmentsDelivered); // no keep-alive on an idle connection

        sim.Network.RunFor(TimeSpan.FromTicks(1));
        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void KeepAlive_IdleConnection_SendsNothingAndStaysOpen()
    {
        var sim = new Sim();
        var options = KeepAliveOptions();
        var client = sim.Node(options);
        var server = sim.Node(options);
        ITransportConnection? connection = null;
        sim.Network.Run(async () =>
        {
            connection = await client.DialAsync(await sim.ListenAsync(server));
            using var r = await connection.RequestAsync(TestProtocols.Control, new byte[4]);
        });

        var before = sim.Network.SegmentsDelivered;
        sim.Network.RunFor(TimeSpan.FromMinutes(30));
        Assert.False(connection!.Closed.IsCancellationRequested);
        Assert.Equal(before, sim.Network.SegmentsDelivered);

        // Not even a timer: each end's keep-alive stopped at its first idle tick.
        Assert.Equal(0, sim.Network.Clock.PendingTimers);
    }

    [Fact]
    public void KeepAlive_IdleConnectionToASilentPeer_IsLeftToThePoolSweep()
    {
        var sim = new Sim();
        var options = new TransportOptions { IdleTimeout = TimeSpan.FromMinutes(5), KeepAliveInterval = TimeSpan.FromSeconds(10) };
        var client = sim.Node(options);
        var server = sim.Node(options);
        ConnectionPool? pool = null;
        ITransportConnection? connection = null;
        sim.Network.Run(async () =>
        {
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            connection = await pool.GetAsync(await sim.ListenAsync(server));
            using var r = await connection.RequestAsync(TestProtocols.Control, new byte[4]);
        });

        // Nothing awaits the silent peer, so nothing watches it: the connection lives until the sweep.
        sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromHours(1)));
        sim.Network.RunFor(TimeSpan.FromMinutes(4));
        Assert.False(connection!.Closed.IsCancellationRequested);
        sim.Network.RunFor(TimeSpan.FromMinutes(1) + pool!.SweepInterval);
        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.Equal(TransportError.Closed, connection.CloseReason);
        Assert.Equal(0, pool.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void KeepAlive_RequestToAPeerGoneSilent_ClosesWithinThreeIntervalsOfTheRequest(int idleMinutes)
    {
        // The request is sent after the connection has been idle (no keep-alives) for idleMinutes; the
        // silence that closes it counts from the request, as it counted from the peer's last byte when
        // every connection was pinged: closed at the first tick three intervals after it, within four.
        var sim = new Sim();
        var options = KeepAliveOptions(requestTimeout: TimeSpan.FromMinutes(5));
        var client = sim.Node(options);
        var server = sim.Node(options);
        ITransportConnection? connection = null;
        sim.Network.Run(async () =>
        {
            connection = await client.DialAsync(await sim.ListenAsync(server));
            using var r = await connection.RequestAsync(TestProtocols.Control, new byte[4]);
        });
        sim.Network.RunFor(TimeSpan.FromMinutes(idleMinutes));
        sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromHours(1)));

        var sentAt = sim.Network.Clock.Elapsed;
        Task<TransportResponse>? request = null;
        sim.Network.Run(() =>
        {
            request = connection!.RequestAsync(TestProtocols.Control, new byte[4]).AsTask();
            return Task.CompletedTask;
        });
        sim.Network.RunFor(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1) - (sim.Network.Clock.Elapsed - sentAt));
        Assert.False(connection!.Closed.IsCancellationRequested);
        sim.Network.RunFor(TimeSpan.FromSeconds(10) + TimeSpan.FromTicks(1));
        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.Equal(TransportError.Timeout, connection.CloseReason);
        Assert.True(request!.IsFaulted);
        Assert.Equal(TransportError.Timeout, Assert.IsType<TransportException>(request.Exception!.InnerException).Reason);
    }

    [Fact]
    public void KeepAlive_RequestTimedOutOnASilentPeer_StillClosesTheConnection()
    {
        // The request gives up first (RequestTimeout 2 s); the peer has not been heard from since it
        // was sent, so the connection stays watched and closes: the pool's next request dials afresh.
        var sim = new Sim();
        var options = KeepAliveOptions(requestTimeout: TimeSpan.FromSeconds(2));
        var client = sim.Node(options);
        var server = sim.Node(options);
        ConnectionPool? pool = null;
        ITransportConnection? connection = null;
        TransportAddress? address = null;
        sim.Network.Run(async () =>
        {
            address = await sim.ListenAsync(server);
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            connection = await pool.GetAsync(address);
            using var r = await connection.RequestAsync(TestProtocols.Control, new byte[4]);
        });
        sim.Network.RunFor(TimeSpan.FromMinutes(3));
        sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromHours(1)));

        TransportError? failure = null;
        sim.Network.Run(async () =>
        {
            var ex = await Assert.ThrowsAsync<TransportException>(async () => await connection!.RequestAsync(TestProtocols.Control, new byte[4]));
            failure = ex.Reason;
        });
        Assert.Equal(TransportError.Timeout, failure);
        Assert.False(connection!.Closed.IsCancellationRequested);
        sim.Network.RunFor(TimeSpan.FromSeconds(40));
        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.Equal(TransportError.Timeout, connection.CloseReason);
        Assert.Equal(0, pool!.Count);

        sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromMilliseconds(5)));
        sim.Network.Run(async () =>
        {
            var again = await pool.GetAsync(address!);
            Assert.NotSame(connection, again);
            using var r = await again.RequestAsync(TestProtocols.Control, new byte[4]);
        });
        Assert.Equal(2, pool.DialCount);
    }

    [Fact]
    public void KeepWatched_IdleConnection_IsPingedStaysOpenAndClosesOnceThePeerFallsSilent()
    {
        // A connection the node relies on to notice the peer's silence: pinged while idle, kept open by the
        // pongs, closed within four intervals of the peer falling silent; quiet again once the lease is gone.
        var sim = new Sim();
        var options = KeepAliveOptions();
        var client = sim.Node(options);
        var server = sim.Node(options);
        ITransportConnection? kept = null;
        ITransportConnection? other = null;
        var third = sim.Node(options);
        sim.Network.Run(async () =>
        {
            kept = await client.DialAsync(await sim.ListenAsync(server));
            other = await client.DialAsync(await sim.ListenAsync(third));
        });
        sim.Network.RunFor(TimeSpan.FromMinutes(10));

        var lease = kept!.KeepWatched();
        var before = sim.Network.SegmentsDelivered;
        sim.Network.RunFor(TimeSpan.FromMinutes(5));
        Assert.False(kept.Closed.IsCancellationRequested);
        Assert.InRange(sim.Network.SegmentsDelivered - before, 2 * 14, 2 * 16); // a ping and its pong every other tick: after a pong the next tick finds less than an interval of silence
        lease.Dispose();
        sim.Network.RunFor(TimeSpan.FromSeconds(20));
        var quiet = sim.Network.SegmentsDelivered;
        sim.Network.RunFor(TimeSpan.FromMinutes(5));
        Assert.Equal(quiet, sim.Network.SegmentsDelivered);

        using (kept.KeepWatched())
        {
            sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromHours(1)));
            sim.Network.RunFor(TimeSpan.FromSeconds(40));
            Assert.True(kept.Closed.IsCancellationRequested);
            Assert.Equal(TransportError.Timeout, kept.CloseReason);
        }

        Assert.False(other!.Closed.IsCancellationRequested);
    }

    [Fact]
    public void KeepAlive_LongRequestToALivePeer_IsPingedAndStaysOpen()
    {
        // A request the peer takes long to answer: the keep-alive pings meanwhile, the peer's pongs keep
        // the connection, and once answered the connection falls silent again.
        var sim = new Sim();
        var options = KeepAliveOptions(requestTimeout: TimeSpan.FromMinutes(5));
        var client = sim.Node(options);
        var server = sim.Node(options);
        ITransportConnection? connection = null;
        sim.Network.Run(async () => connection = await client.DialAsync(await sim.ListenAsync(server)));
        var before = sim.Network.SegmentsDelivered;

        // Everything from the server takes 25 s to arrive: the answer, and the pongs to the pings sent while it is awaited.
        sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromSeconds(25)));
        sim.Network.Run(async () =>
        {
            using var r = await connection!.RequestAsync(TestProtocols.Control, new byte[4]);
        });
        Assert.False(connection!.Closed.IsCancellationRequested);
        Assert.True(sim.Network.SegmentsDelivered - before > 2); // request, response and at least a ping and its pong

        sim.Network.SetLink(server, client, new LinkProfile(TimeSpan.FromMilliseconds(5)));
        sim.Network.RunFor(TimeSpan.FromMinutes(1));
        var quiet = sim.Network.SegmentsDelivered;
        sim.Network.RunFor(TimeSpan.FromMinutes(10));
        Assert.Equal(quiet, sim.Network.SegmentsDelivered);
        Assert.False(connection.Closed.IsCancellationRequested);
    }

    [Fact]
    public async Task GetAsync_OverThePerAddressLimit_FailsWithLimitExceeded()
    {
        var random = new Random(41);
        using var a = NodeIdentity.FromRandom(random);
        using var b = NodeIdentity.FromRandom(random);
        using var c = NodeIdentity.FromRandom(random);
        await using var serverA = new TcpTlsTransport(a, new TestHandler().Protocols);
        await using var serverB = new TcpTlsTransport(b, new TestHandler().Protocols);
        await using var client = new TcpTlsTransport(c, new TestHandler().Protocols);
        var addressA = (await serverA.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"))).LocalAddress;
        var addressB = (await serverB.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"))).LocalAddress;
        var options = new TransportOptions { MaxConnectionsPerLoopbackAddress = 1 };
        await using var pool = new ConnectionPool(client, options, TimeProvider.System);

        await pool.GetAsync(addressA).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var ex = await Assert.ThrowsAsync<TransportException>(async () => await pool.GetAsync(addressB).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TransportError.LimitExceeded, ex.Reason);
        Assert.Contains("Transport:MaxConnectionsPerLoopbackAddress", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_TwentyPeersOnOneHostWithDefaults_PoolsEveryOne()
    {
        // Every node on one host shares 127.0.0.1: the public per-address limit (16) must not apply.
        var random = new Random(43);
        var servers = new List<TcpTlsTransport>();
        using var me = NodeIdentity.FromRandom(random);
        await using var client = new TcpTlsTransport(me, new TestHandler().Protocols);
        await using var pool = new ConnectionPool(client, new TransportOptions(), TimeProvider.System);
        try
        {
            for (var i = 0; i < 20; i++)
            {
                using var identity = NodeIdentity.FromRandom(random);
                var server = new TcpTlsTransport(identity, new TestHandler().Protocols);
                servers.Add(server);
                var address = (await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"))).LocalAddress;
                await pool.GetAsync(address).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }

            Assert.Equal(20, pool.Count);
        }
        finally
        {
            foreach (var s in servers)
            {
                await s.DisposeAsync();
            }
        }
    }
}
