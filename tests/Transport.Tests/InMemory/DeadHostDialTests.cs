using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>A dial to a host that is gone fails only after the handshake timeout, as on a real network; other dials are unchanged.</summary>
public sealed class DeadHostDialTests
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(5);

    private static (InMemoryNetwork Net, InMemoryTransport A, InMemoryTransport B) Pair(TransportOptions? dialler = null)
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), 1, new UniformLatencyModel(new LinkProfile(OneWay)));
        var ids = new Random(2);
        var a = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols, dialler);
        var b = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        return (net, a, b);
    }

    /// <summary>Dials <paramref name="address"/> from <paramref name="from"/>; the failure and the virtual time it took.</summary>
    private static async Task<(TransportException? Failure, TimeSpan Took)> DialAsync(InMemoryNetwork net, InMemoryTransport from, TransportAddress address, CancellationToken cancellationToken = default)
    {
        var start = net.Clock.Elapsed;
        try
        {
            await using var c = await from.DialAsync(address, cancellationToken);
            return (null, net.Clock.Elapsed - start);
        }
        catch (TransportException e)
        {
            return (e, net.Clock.Elapsed - start);
        }
    }

    [Fact]
    public void KilledHost_DialFailsAsATimeout_AfterTheDiallersHandshakeTimeout_NotBefore()
    {
        var (net, a, b) = Pair(new TransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(3) });
        net.Run(async () =>
        {
            var address = (await b.ListenAsync(b.Host)).LocalAddress;
            b.Kill();
            var (failure, took) = await DialAsync(net, a, address);
            Assert.Equal(TransportError.Timeout, failure?.Reason);
            Assert.Equal(TimeSpan.FromSeconds(3), took);
        });
    }

    [Fact]
    public void HostThatLeft_DialFailsAfterTheDefaultHandshakeTimeout()
    {
        var (net, a, b) = Pair();
        net.Run(async () =>
        {
            var address = (await b.ListenAsync(b.Host)).LocalAddress;
            await b.DisposeAsync();
            var (failure, took) = await DialAsync(net, a, address);
            Assert.Equal(TransportError.Timeout, failure?.Reason);
            Assert.Equal(new TransportOptions().HandshakeTimeout, took);
        });
    }

    [Fact]
    public void ConfiguredDelay_OverridesTheHandshakeTimeout_AndZeroFailsAtOnce()
    {
        var (net, a, b) = Pair();
        net.Run(async () =>
        {
            var address = (await b.ListenAsync(b.Host)).LocalAddress;
            b.Kill();
            net.DeadHostDialDelay = TimeSpan.FromMilliseconds(1500);
            var (failure, took) = await DialAsync(net, a, address);
            Assert.Equal(TransportError.Timeout, failure?.Reason);
            Assert.Equal(TimeSpan.FromMilliseconds(1500), took);

            net.DeadHostDialDelay = TimeSpan.Zero;
            (failure, took) = await DialAsync(net, a, address);
            Assert.Equal(TransportError.Timeout, failure?.Reason);
            Assert.Equal(TimeSpan.Zero, took);
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => net.DeadHostDialDelay = TimeSpan.FromTicks(-1));
    }

    [Fact]
    public void HostThatDiesDuringTheHandshake_FailsAtTheDelay_CountedFromTheDial()
    {
        var (net, a, b) = Pair();
        net.Run(async () =>
        {
            var address = (await b.ListenAsync(b.Host)).LocalAddress;
            var dial = DialAsync(net, a, address);
            await Task.Delay(OneWay, net.Clock);
            b.Kill();
            var (failure, took) = await dial;
            Assert.Equal(TransportError.Timeout, failure?.Reason);
            Assert.Equal(new TransportOptions().HandshakeTimeout, took);
        });
    }

    [Fact]
    public void CancelledDialToADeadHost_EndsAtOnce()
    {
        var (net, a, b) = Pair();
        net.Run(async () =>
        {
            var address = (await b.ListenAsync(b.Host)).LocalAddress;
            b.Kill();
            using var cancel = new CancellationTokenSource();
            var start = net.Clock.Elapsed;
            var dial = a.DialAsync(address, cancel.Token).AsTask();
            await Task.Delay(TimeSpan.FromSeconds(1), net.Clock);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dial);
            Assert.Equal(TimeSpan.FromSeconds(1), net.Clock.Elapsed - start);
        });
    }

    [Fact]
    public void LiveHosts_RefuseAtOnce_AndConnectInOneRoundTrip()
    {
        var (net, a, b) = Pair();
        net.Run(async () =>
        {
            var address = (await b.ListenAsync(b.Host)).LocalAddress;

            // Nothing on the port of a live host: refused at once, as a reset is.
            var closedPort = TransportAddress.Create(TransportScheme.Memory, address.Host, address.Port + 1);
            var (refused, refusedTook) = await DialAsync(net, a, closedPort);
            Assert.Equal(TransportError.PeerUnreachable, refused?.Reason);
            Assert.Equal(TimeSpan.Zero, refusedTook);

            var (failure, took) = await DialAsync(net, a, address);
            Assert.Null(failure);
            Assert.Equal(OneWay * 2, took);
        });
    }
}
