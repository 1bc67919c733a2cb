using Overlay.Crypto;
using Overlay.Transport;
using Overlay.Transport.Quic;
using Overlay.Transport.Tls;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// Two nodes on loopback, over TCP+TLS or QUIC, with one connection between them. QUIC uses the
/// libmsquic named by <c>OVERLAY_MSQUIC_PATH</c> when set (through
/// <see cref="TransportOptions.MsQuicLibraryPath"/>), else the system's.
/// </summary>
public sealed class LoopbackPair : IAsyncDisposable
{
    /// <summary>The environment variable naming the libmsquic file to measure with.</summary>
    public const string MsQuicPathVariable = "OVERLAY_MSQUIC_PATH";

    private readonly NodeIdentity _serverIdentity = NodeIdentity.Generate();
    private readonly NodeIdentity _clientIdentity = NodeIdentity.Generate();

    private LoopbackPair(TransportOptions options, TransportScheme scheme)
    {
        Scheme = scheme;
        if (scheme == TransportScheme.Quic)
        {
            options.MsQuicLibraryPath ??= Environment.GetEnvironmentVariable(MsQuicPathVariable) is { Length: > 0 } path ? path : null;
            QuicSupport.ThrowIfUnavailable(options);
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows() && !OperatingSystem.IsMacOS())
            {
                throw new PlatformNotSupportedException("System.Net.Quic does not run on this operating system.");
            }

            Server = new QuicTransport(_serverIdentity, BenchProtocols.Serve(ServerHandler), options);
            Client = new QuicTransport(_clientIdentity, BenchProtocols.Serve(new BenchHandler()), options);
        }
        else
        {
            Server = new TcpTlsTransport(_serverIdentity, BenchProtocols.Serve(ServerHandler), options);
            Client = new TcpTlsTransport(_clientIdentity, BenchProtocols.Serve(new BenchHandler()), options);
        }
    }

    public TransportScheme Scheme { get; }

    public BenchHandler ServerHandler { get; } = new();

    public ITransport Server { get; }

    public ITransport Client { get; }

    public TransportAddress ServerAddress { get; private set; } = null!;

    public ITransportConnection Connection { get; private set; } = null!;

    /// <summary>Parses a command-line transport name: <c>tcp</c> (TCP+TLS) or <c>quic</c>.</summary>
    public static TransportScheme ParseScheme(string name) => name switch
    {
        "tcp" => TransportScheme.Tcp,
        "quic" => TransportScheme.Quic,
        _ => throw new ArgumentException($"Unknown transport '{name}'; use tcp or quic.", nameof(name)),
    };

    public static async Task<LoopbackPair> StartAsync(TransportOptions options, bool connect = true, TransportScheme scheme = TransportScheme.Tcp)
    {
        var pair = new LoopbackPair(options, scheme);
        var listener = await pair.Server.ListenAsync(TransportAddress.Parse(scheme == TransportScheme.Quic ? "quic://127.0.0.1:0" : "tcp://127.0.0.1:0"));
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
