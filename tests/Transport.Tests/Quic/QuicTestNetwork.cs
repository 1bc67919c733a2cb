using System.Net.Quic;
using System.Runtime.Versioning;
using Overlay.Crypto;
using Overlay.Transport.Quic;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.Quic;

/// <summary>The contract suite over loopback QUIC, where libmsquic is installed.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicTestNetwork : ITestNetwork
{
    private readonly Random _ids = new(8);
    private readonly List<QuicTransport> _transports = [];
    private readonly List<NodeIdentity> _identities = [];

    public TimeProvider Time => TimeProvider.System;

    public TransportAddress UnusedAddress => TransportAddress.Parse("quic://127.0.0.1:1");

    public bool StreamsAreFrames => false;

    public Task RunAsync(Func<Task> body) => body().WaitAsync(TimeSpan.FromSeconds(60));

    public async Task<TestNode> StartNodeAsync(TransportOptions? options = null)
    {
        var identity = NodeIdentity.FromRandom(_ids);
        _identities.Add(identity);
        var handler = new TestHandler();
        var transport = new QuicTransport(identity, handler.Protocols, QuicTestLibrary.WithLibrary(options));
        _transports.Add(transport);
        var listener = await transport.ListenAsync(TransportAddress.Parse("quic://127.0.0.1:0"));
        return new TestNode(transport, listener, identity.PeerId, handler);
    }

    public async Task KillAsync(TestNode node)
    {
        await node.Listener.DisposeAsync();
        ((QuicTransport)node.Transport).AbortAllForTests();
    }

    public async Task<IRawChannel> OpenRawAsync(TestNode target)
    {
        var identity = NodeIdentity.FromRandom(_ids);
        _identities.Add(identity);
        var transport = new QuicTransport(identity, new TestHandler().Protocols, QuicTestLibrary.WithLibrary(null));
        _transports.Add(transport);
        var (connection, stream, _) = await transport.ConnectAsync(target.Address, CancellationToken.None);
        return new Raw(connection, stream);
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
        private readonly QuicConnection _connection;
        private readonly QuicStream _stream;
        private readonly Task _drain;

        public Raw(QuicConnection connection, QuicStream stream)
        {
            _connection = connection;
            _stream = stream;
            _drain = DrainAsync();
        }

        public bool IsClosedByRemote => _drain.IsCompleted;

        public async Task SendAsync(ReadOnlyMemory<byte> bytes)
        {
            try
            {
                await _stream.WriteAsync(bytes);
            }
            catch (QuicException)
            {
            }
        }

        public Task WaitClosedAsync() => _drain;

        private async Task DrainAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (await _stream.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is QuicException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync();
            await _connection.DisposeAsync();
            await _drain;
        }
    }
}

/// <summary>
/// The contract suite on QUIC. Where libmsquic is missing every test is reported as skipped with
/// that reason (never passed); QuicUnavailableTests covers what happens then. OVERLAY_MSQUIC_PATH
/// names a libmsquic file to run with (see <see cref="QuicTestLibrary"/>).
/// </summary>
public sealed class QuicTransportContractTests : TransportContractTests
{
    protected override ITestNetwork CreateNetwork()
    {
        if (!QuicTestLibrary.IsAvailable(out var reason))
        {
            Assert.Skip(reason);
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
        {
            return new QuicTestNetwork();
        }

        Assert.Skip("System.Net.Quic does not run on this operating system.");
        return null!;
    }
}
