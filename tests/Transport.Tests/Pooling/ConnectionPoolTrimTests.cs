using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Pooling;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.Pooling;

/// <summary>The pool's watermarks: what it closes above the high one, in which order, and what it never closes.</summary>
public sealed class ConnectionPoolTrimTests
{
    private static readonly byte[] Ping = [1, 2, 3, 4];

    // Keep-alives and the idle sweep out of the way: only the trim closes anything here.
    private static TransportOptions Options(int high, int low) => new()
    {
        PoolHighWatermark = high,
        PoolLowWatermark = low,
        PoolGracePeriod = TimeSpan.FromSeconds(10),
        IdleTimeout = TimeSpan.FromHours(1),
        KeepAliveInterval = TimeSpan.FromMinutes(10),
        RequestTimeout = TimeSpan.FromMinutes(10),
    };

    private sealed class Sim
    {
        private readonly Random _ids = new(37);

        public InMemoryNetwork Network { get; } = new(new VirtualTimeProvider(), 5, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(5))), recordEvents: true);

        public InMemoryTransport Node(TransportOptions options) => Network.CreateNode(PeerId.Random(_ids), new TestHandler().Protocols, options);

        public async Task<TransportAddress[]> ListenAllAsync(IEnumerable<InMemoryTransport> nodes)
        {
            var addresses = new List<TransportAddress>();
            foreach (var n in nodes)
            {
                addresses.Add((await n.ListenAsync(n.Host)).LocalAddress);
            }

            return [.. addresses];
        }

        public Task WaitAsync(TimeSpan span) => Task.Delay(span, Network.Clock);
    }

    [Fact]
    public void Add_AboveTheHighWatermark_ClosesTheLeastRecentlyActiveDownToTheLowWatermark()
    {
        var sim = new Sim();
        var options = Options(high: 4, low: 2);
        var client = sim.Node(options);
        var servers = Enumerable.Range(0, 5).Select(_ => sim.Node(options)).ToArray();
        var c = new ITransportConnection[5];
        ConnectionPool? pool = null;
        sim.Network.Run(async () =>
        {
            var addresses = await sim.ListenAllAsync(servers);
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            for (var i = 0; i < 4; i++)
            {
                c[i] = await pool.GetAsync(addresses[i]);
                await sim.WaitAsync(TimeSpan.FromSeconds(1));
            }

            // Traffic on 1 and then 3 (without the pool handing them out again) makes 0 and 2 the least recently active.
            await sim.WaitAsync(TimeSpan.FromMinutes(1));
            using (await c[1].RequestAsync(TestProtocols.Control, Ping))
            {
            }

            await sim.WaitAsync(TimeSpan.FromSeconds(1));
            using (await c[3].RequestAsync(TestProtocols.Control, Ping))
            {
            }

            await sim.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(4, pool.Count);
            c[4] = await pool.GetAsync(addresses[4]);
        });

        // Five is above four: down to two, least recently active first (0, 2, then 1); the newest stays.
        Assert.True(c[0].Closed.IsCancellationRequested);
        Assert.True(c[2].Closed.IsCancellationRequested);
        Assert.True(c[1].Closed.IsCancellationRequested);
        Assert.False(c[3].Closed.IsCancellationRequested);
        Assert.False(c[4].Closed.IsCancellationRequested);
        Assert.Equal(2, pool!.Count);
        Assert.Equal(3, pool.TrimmedCount);
        Assert.Equal(TransportError.Closed, c[0].CloseReason);
    }

    [Fact]
    public void Add_AtTheHighWatermark_ClosesNothing()
    {
        var sim = new Sim();
        var options = Options(high: 4, low: 2);
        var client = sim.Node(options);
        var servers = Enumerable.Range(0, 4).Select(_ => sim.Node(options)).ToArray();
        ConnectionPool? pool = null;
        sim.Network.Run(async () =>
        {
            var addresses = await sim.ListenAllAsync(servers);
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            foreach (var a in addresses)
            {
                await pool.GetAsync(a);
                await sim.WaitAsync(TimeSpan.FromMinutes(1));
            }
        });

        sim.Network.RunFor(TimeSpan.FromMinutes(10));
        Assert.Equal(4, pool!.Count);
        Assert.Equal(0, pool.TrimmedCount);
    }

    [Fact]
    public void Trim_ConnectionsInFlightLeasedKeptOrInTheirGracePeriod_StayOpen()
    {
        var sim = new Sim();
        var options = Options(high: 1, low: 0);
        var client = sim.Node(options);
        var servers = Enumerable.Range(0, 6).Select(_ => sim.Node(options)).ToArray();
        var c = new ITransportConnection[6];
        ConnectionPool? pool = null;
        Task? hanging = null;
        IDisposable? lease = null;
        sim.Network.Run(async () =>
        {
            var addresses = await sim.ListenAllAsync(servers);
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            for (var i = 0; i < 4; i++)
            {
                c[i] = await pool.GetAsync(addresses[i]);
            }

            // 0 has a request in flight (the server never answers "hang"), 1 a KeepWatched lease, 2 is kept, 3 nothing.
            hanging = c[0].RequestAsync(TestProtocols.Control, "hang"u8.ToArray()).AsTask();
            lease = c[1].KeepWatched();
            Assert.True(pool.Keep(servers[2].PeerId));
            await sim.WaitAsync(TimeSpan.FromMinutes(1));

            // 4 is dialled and used; 5, added 5 s later, finds 4 within its grace period.
            c[4] = await pool.GetAsync(addresses[4]);
            await sim.WaitAsync(TimeSpan.FromSeconds(5));
            c[5] = await pool.GetAsync(addresses[5]);
        });

        Assert.True(c[3].Closed.IsCancellationRequested);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(i == 3, c[i].Closed.IsCancellationRequested);
        }

        Assert.Equal(5, pool!.Count);
        Assert.False(hanging!.IsCompleted);

        // Once the lease is gone and 4's grace has passed, the next trim (the sweep, a tenth of the idle
        // timeout) closes them; the request in flight and the kept connection still stay.
        lease!.Dispose();
        sim.Network.RunFor(pool.SweepInterval);
        Assert.True(c[1].Closed.IsCancellationRequested);
        Assert.True(c[4].Closed.IsCancellationRequested);
        Assert.True(c[5].Closed.IsCancellationRequested);
        Assert.False(c[0].Closed.IsCancellationRequested);
        Assert.False(c[2].Closed.IsCancellationRequested);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void Trim_ConnectionJustHandedOutForARequest_IsNotClosedUnderIt()
    {
        // The pool hands out an old idle connection; in the same instant, before the caller's request
        // starts, another connection is added and the pool is above its high watermark: the one handed
        // out is in its grace period, so the old connection that was not handed out goes instead.
        var sim = new Sim();
        var options = Options(high: 2, low: 0);
        var client = sim.Node(options);
        var servers = Enumerable.Range(0, 3).Select(_ => sim.Node(options)).ToArray();
        var c = new ITransportConnection[3];
        ConnectionPool? pool = null;
        sim.Network.Run(async () =>
        {
            var addresses = await sim.ListenAllAsync(servers);
            pool = new ConnectionPool(client, options, sim.Network.Clock);
            c[0] = await pool.GetAsync(addresses[0]);
            c[1] = await pool.GetAsync(addresses[1]);
            await sim.WaitAsync(TimeSpan.FromMinutes(5));

            var again = await pool.GetAsync(addresses[0]);
            Assert.Same(c[0], again);
            var dial = pool.GetAsync(addresses[2]).AsTask();
            c[2] = await dial;
            Assert.True(c[1].Closed.IsCancellationRequested);
            using var response = await again.RequestAsync(TestProtocols.Control, Ping);
            Assert.Equal(Ping, response.Payload.ToArray());
        });

        Assert.False(c[0].Closed.IsCancellationRequested);
        Assert.Equal(1, pool!.TrimmedCount);
    }
}
