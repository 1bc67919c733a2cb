using Overlay.Crypto;
using Overlay.Transport;
using Overlay.Transport.Tls;

namespace Overlay.Benchmarks.Transport;

/// <summary>Two TCP+TLS nodes on loopback with one connection between them.</summary>
public sealed class LoopbackPair : IAsyncDisposable
{
    private readonly NodeIdentity _serverIdentity = NodeIdentity.Generate();
    private readonly NodeIdentity _clientIdentity = NodeIdentity.Generate();

    private LoopbackPair(TransportOptions options)
    {
        Server = new TcpTlsTransport(_serverIdentity, ServerHandler, options);
        Client = new TcpTlsTransport(_clientIdentity, new BenchHandler(), options);
    }

    public BenchHandler ServerHandler { get; } = new();

    public TcpTlsTransport Server { get; }

    public TcpTlsTransport Client { get; }

    public TransportAddress ServerAddress { get; private set; } = null!;

    public ITransportConnection Connection { get; private set; } = null!;

    public static async Task<LoopbackPair> StartAsync(TransportOptions options, bool connect = true)
    {
        var pair = new LoopbackPair(options);
        var listener = await pair.Server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        pair.ServerAddress = listener.LocalAddress;
        if (connect)
        {
            pair.Connection = await pair.Client.DialAsync(pair.ServerAddress);
        }

        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        _serverIdentity.Dispose();
        _clientIdentity.Dispose();
    }
}
