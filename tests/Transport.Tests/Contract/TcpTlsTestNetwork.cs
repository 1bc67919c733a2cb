using System.Net.Security;
using Overlay.Crypto;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Contract;

/// <summary>The contract suite over loopback TCP+TLS with real time; every body has a 60 s guard.</summary>
public sealed class TcpTlsTestNetwork : ITestNetwork
{
    private readonly Random _ids = new(7);
    private readonly List<TcpTlsTransport> _transports = [];
    private readonly List<NodeIdentity> _identities = [];

    public TimeProvider Time => TimeProvider.System;

    public TransportAddress UnusedAddress => TransportAddress.Parse("tcp://127.0.0.1:1");

    public Task RunAsync(Func<Task> body) => body().WaitAsync(TimeSpan.FromSeconds(60));

    public NodeIdentity NewIdentity()
    {
        var identity = NodeIdentity.FromRandom(_ids);
        _identities.Add(identity);
        return identity;
    }

    public async Task<TestNode> StartNodeAsync(TransportOptions? options = null)
    {
        var identity = NewIdentity();
        var handler = new TestHandler();
        var transport = new TcpTlsTransport(identity, handler.Protocols, options);
        _transports.Add(transport);
        var listener = await transport.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        return new TestNode(transport, listener, identity.PeerId, handler);
    }

    public async Task KillAsync(TestNode node)
    {
        // A crash: listeners and sockets vanish without a goodbye frame.
        await node.Listener.DisposeAsync();
        var transport = (TcpTlsTransport)node.Transport;
        transport.AbortAllForTests();
    }

    public async Task<IRawChannel> OpenRawAsync(TestNode target)
    {
        var identity = NewIdentity();
        var transport = new TcpTlsTransport(identity, new TestHandler().Protocols);
        _transports.Add(transport);
        var (socket, ssl, _) = await transport.ConnectAsync(target.Address, CancellationToken.None);
        return new Raw(socket, ssl);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var t in _transports)
        {
            await t.DisposeAsync();
        }

        foreach (var i in _identities)
        {
            i.Dispose();
        }
    }

    private sealed class Raw : IRawChannel
    {
        private readonly System.Net.Sockets.Socket _socket;
        private readonly SslStream _ssl;
        private readonly Task _drain;

        public Raw(System.Net.Sockets.Socket socket, SslStream ssl)
        {
            _socket = socket;
            _ssl = ssl;
            _drain = DrainAsync();
        }

        public bool IsClosedByRemote => _drain.IsCompleted;

        public async Task SendAsync(ReadOnlyMemory<byte> bytes)
        {
            try
            {
                await _ssl.WriteAsync(bytes);
            }
            catch (IOException)
            {
                // The listener may close the connection while the burst is still being written.
            }
        }

        public Task WaitClosedAsync() => _drain;

        private async Task DrainAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (await _ssl.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _ssl.DisposeAsync();
            _socket.Dispose();
            await _drain;
        }
    }
}

public sealed class TcpTlsTransportContractTests : TransportContractTests
{
    protected override ITestNetwork CreateNetwork() => new TcpTlsTestNetwork();
}
