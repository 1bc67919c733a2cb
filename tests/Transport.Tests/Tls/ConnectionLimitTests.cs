using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Transport.Admission;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tests.Contract;
using Overlay.Transport.Tests.Quic;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Tls;

/// <summary>
/// The listener's limits over real loopback sockets: nodes on one host all get in, a refusal says
/// why on both sides, and silent connections can neither grow without bound nor keep anyone out.
/// Waits are on what the sockets deliver (a handshake, a notice), each under a wall-clock guard.
/// </summary>
public sealed class ConnectionLimitTests
{
    private static readonly Random Ids = new(61);
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Accept_FortyPeersDialFromLoopbackWithDefaults_AllAuthenticateAndAnswer()
    {
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        await using var server = new TcpTlsTransport(serverIdentity, new TestHandler().Protocols);
        var listener = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        var clients = new List<TcpTlsTransport>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                using var identity = NodeIdentity.FromRandom(Ids);
                var client = new TcpTlsTransport(identity, new TestHandler().Protocols);
                clients.Add(client);
                var connection = await client.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard);
                using var echo = await connection.RequestAsync(TestProtocols.Control, "hi"u8.ToArray()).AsTask().WaitAsync(Guard);
                Assert.Equal("hi", Encoding.ASCII.GetString(echo.Payload.Span));
            }

            Assert.Equal(40, server.ConnectionCount);
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Dial_AddressAtItsLimit_FailsWithTheReason_AndEachSideLogsItOnce()
    {
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);
        var serverLog = new RecordingLogger();
        var clientLog = new RecordingLogger();
        await using var server = new TcpTlsTransport(serverIdentity, new TestHandler().Protocols, new TransportOptions { MaxConnectionsPerLoopbackAddress = 2 }, null, serverLog);
        var listener = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        await using var client = new TcpTlsTransport(clientIdentity, new TestHandler().Protocols, null, null, clientLog);
        for (var i = 0; i < 2; i++)
        {
            // Answered means the listener authenticated it too (a TLS 1.3 client finishes first).
            var held = await client.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard);
            using var answered = await held.RequestAsync(TestProtocols.Control, "hold"u8.ToArray()).AsTask().WaitAsync(Guard);
        }

        for (var i = 0; i < 5; i++)
        {
            var ex = await Assert.ThrowsAsync<TransportException>(async () => await client.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard));
            Assert.Equal(TransportError.LimitExceeded, ex.Reason);
            Assert.Contains("refused the connection", ex.Message, StringComparison.Ordinal);
            Assert.Contains("address_limit", ex.Message, StringComparison.Ordinal);
        }

        var served = Assert.Single(serverLog.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("127.0.0.1", served.Message, StringComparison.Ordinal);
        Assert.Contains("Transport:MaxConnectionsPerLoopbackAddress", served.Message, StringComparison.Ordinal);
        var refused = Assert.Single(clientLog.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("refused this node's connection", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.ConnectionCount);
    }

    [Fact]
    public async Task Accept_AThousandSilentConnectionsFromOneAddress_StillLetsAPeerFromThatAddressInAndKeepsTheEstablishedOne()
    {
        await using var flood = await OneAddressFlood.StartAsync(1000);
        flood.Clock.Advance(InboundAdmission.AddressShedGrace);
        using var pingIdentity = NodeIdentity.FromRandom(Ids);
        await using var ping = new TcpTlsTransport(pingIdentity, new TestHandler().Protocols);
        Assert.Equal("ping", await AskAsync(ping, flood.Listener, "ping"));
        using var still = await flood.Established.RequestAsync(TestProtocols.Control, "still"u8.ToArray()).AsTask().WaitAsync(Guard);
        Assert.Equal("still", Encoding.ASCII.GetString(still.Payload.Span));
        Assert.True(flood.Listener.PendingCount <= new TransportOptions().MaxPendingHandshakes * InboundAdmission.SilentPerHandshake, $"{flood.Listener.PendingCount} pending");
    }

    [Fact]
    public async Task Accept_AThousandSilentConnectionsFromOneAddressWithinTheShedGrace_RefusesThePeerFromThatAddress()
    {
        // The same flood while no silent connection may be shed for its address's sake (none is older than
        // the grace): the address is full, so the newcomer is refused, as every newcomer was before shedding.
        await using var flood = await OneAddressFlood.StartAsync(1000);
        using var pingIdentity = NodeIdentity.FromRandom(Ids);
        await using var ping = new TcpTlsTransport(pingIdentity, new TestHandler().Protocols);
        var ex = await Assert.ThrowsAsync<TransportException>(async () => await AskAsync(ping, flood.Listener, "ping"));
        Assert.Equal(TransportError.LimitExceeded, ex.Reason);
        Assert.Contains("address_limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_SilentConnectionsFromManyAddressesOverTheBudget_ShedsTheOldestWithANoticeAndHoldsTheBudget()
    {
        // One handshake at a time, so sixteen connections that have sent nothing.
        const int flood = 64;
        var silentBudget = InboundAdmission.SilentPerHandshake;
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);

        // A long handshake timeout: only shedding may close the silent connections during the test.
        var options = new TransportOptions { MaxPendingHandshakes = 1, HandshakeTimeout = TimeSpan.FromMinutes(5) };
        await using var server = new TcpTlsTransport(serverIdentity, new TestHandler().Protocols, options, null, null);
        var listener = (TcpTlsListener)await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        using var silent = await SilentSockets.OpenAsync(flood, i => new IPAddress([127, 0, 1, (byte)(i + 2)]), listener.LocalAddress);

        // The first flood - budget were shed, oldest first, each told why before any TLS byte.
        for (var i = 0; i < flood - silentBudget; i++)
        {
            Assert.Equal("OVERLAY-REFUSED pending_limit\n", await ReadToEndAsync(silent[i]));
        }

        Assert.Equal(silentBudget, listener.PendingCount);
        Assert.Equal(silentBudget, listener.AddressCount);

        // A newcomer that starts its handshake still gets in: the oldest silent one makes room.
        await using var client = new TcpTlsTransport(clientIdentity, new TestHandler().Protocols);
        Assert.Equal("in", await AskAsync(client, listener, "in"));
        Assert.Equal("OVERLAY-REFUSED pending_limit\n", await ReadToEndAsync(silent[flood - silentBudget]));
        Assert.Equal(silentBudget - 1, listener.PendingCount);
    }

    [Fact]
    public async Task Accept_SilentConnectionsWithABudgetLargerThanTheFlood_AllStayPending()
    {
        // The same flood without the defence doing anything: every silent connection is held, none is told.
        const int flood = 64;
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);
        var options = new TransportOptions { MaxPendingHandshakes = 65536, HandshakeTimeout = TimeSpan.FromMinutes(5) };
        await using var server = new TcpTlsTransport(serverIdentity, new TestHandler().Protocols, options, null, null);
        var listener = (TcpTlsListener)await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        using var silent = await SilentSockets.OpenAsync(flood, i => new IPAddress([127, 0, 2, (byte)(i + 2)]), listener.LocalAddress);

        // The listener takes sockets in arrival order: once this later handshake is done, all of the flood was admitted.
        await using var client = new TcpTlsTransport(clientIdentity, new TestHandler().Protocols);
        Assert.Equal("in", await AskAsync(client, listener, "in"));

        Assert.Equal(flood, listener.PendingCount);
        Assert.Equal(flood, listener.AddressCount - 1);
    }

    /// <summary>Dials the listener and returns the echo of <paramref name="text"/>: answered means authenticated on both sides.</summary>
    private static async Task<string> AskAsync(TcpTlsTransport client, TcpTlsListener listener, string text)
    {
        var connection = await client.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard);
        using var answer = await connection.RequestAsync(TestProtocols.Control, Encoding.ASCII.GetBytes(text)).AsTask().WaitAsync(Guard);
        return Encoding.ASCII.GetString(answer.Payload.Span);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[128];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Guard);
            if (n == 0)
            {
                return Encoding.ASCII.GetString([.. received]);
            }

            received.AddRange(buffer.AsSpan(0, n));
        }
    }

    /// <summary>
    /// A listener with the default limits holding one authenticated peer from 127.0.0.1 and then
    /// <c>count</c> silent connections from 127.0.0.1. Its clock is stepped by hand past the time a
    /// connection is safe from being shed for its address's sake; nothing else may wait on it: no
    /// handshake is meant to time out, and answers go out unbatched.
    /// </summary>
    private sealed class OneAddressFlood : IAsyncDisposable
    {
        private readonly NodeIdentity _serverIdentity = NodeIdentity.FromRandom(Ids);
        private readonly NodeIdentity _peerIdentity = NodeIdentity.FromRandom(Ids);
        private TcpTlsTransport? _server;
        private TcpTlsTransport? _peer;
        private SilentSockets? _silent;

        public VirtualTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        public TcpTlsListener Listener { get; private set; } = null!;

        public ITransportConnection Established { get; private set; } = null!;

        public static async Task<OneAddressFlood> StartAsync(int count)
        {
            var flood = new OneAddressFlood();
            try
            {
                flood._server = new TcpTlsTransport(flood._serverIdentity, new TestHandler().Protocols, new TransportOptions { BatchWindow = TimeSpan.Zero }, flood.Clock, null);
                flood.Listener = (TcpTlsListener)await flood._server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
                flood._peer = new TcpTlsTransport(flood._peerIdentity, new TestHandler().Protocols);
                flood.Established = await flood._peer.DialAsync(flood.Listener.LocalAddress).AsTask().WaitAsync(Guard);
                flood._silent = await SilentSockets.OpenAsync(count, _ => IPAddress.Loopback, flood.Listener.LocalAddress);
                return flood;
            }
            catch
            {
                await flood.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _silent?.Dispose();
            if (_peer is not null)
            {
                await _peer.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            _peerIdentity.Dispose();
            _serverIdentity.Dispose();
        }
    }

    /// <summary>Connections that never send a byte, opened one after the other, each from the source address given for its index.</summary>
    private sealed class SilentSockets : IDisposable
    {
        private readonly List<Socket> _sockets = [];

        public Socket this[int index] => _sockets[index];

        public static async Task<SilentSockets> OpenAsync(int count, Func<int, IPAddress> source, TransportAddress target)
        {
            var opened = new SilentSockets();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    opened._sockets.Add(socket);
                    socket.Bind(new IPEndPoint(source(i), 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(target.HostText), target.Port)).WaitAsync(Guard);
                }

                return opened;
            }
            catch
            {
                opened.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }
    }
}
