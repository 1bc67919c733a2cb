using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Transport.Quic;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.Quic;

public sealed class QuicUnavailableTests
{
    private static readonly Random Ids = new(51);

    private static void RequireNoQuic()
    {
        if (QuicTestLibrary.IsAvailable(out _))
        {
            Assert.Skip("libmsquic is installed on this host, so the QUIC-unavailable path cannot be exercised here.");
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    [System.Runtime.Versioning.SupportedOSPlatform("macos")]
    public async Task QuicTransport_WithoutLibMsQuic_FailsWithTypedQuicUnavailable()
    {
        RequireNoQuic();
        using var identity = NodeIdentity.FromRandom(Ids);

        await using var quic = new QuicTransport(identity, new TestHandler().Protocols);
        var listen = await Assert.ThrowsAsync<TransportException>(async () => await quic.ListenAsync(TransportAddress.Parse("quic://127.0.0.1:0")));
        Assert.Equal(TransportError.QuicUnavailable, listen.Reason);
        Assert.Contains("libmsquic", listen.Message, StringComparison.Ordinal);
        Assert.Contains("packages.microsoft.com", listen.Message, StringComparison.Ordinal);

        var dial = await Assert.ThrowsAsync<TransportException>(async () => await quic.DialAsync(TransportAddress.Parse("quic://127.0.0.1:4001")));
        Assert.Equal(TransportError.QuicUnavailable, dial.Reason);
    }

    [Fact]
    public void IsAvailable_ConfiguredLibraryThatIsNotALibrary_ExplainsWhy()
    {
        var path = Path.Combine(Path.GetTempPath(), $"not-msquic-{Guid.NewGuid():N}.so");
        File.WriteAllText(path, "this is not a shared library");
        try
        {
            Assert.False(QuicSupport.IsAvailable(new TransportOptions { MsQuicLibraryPath = path }, out var reason));
            Assert.Contains("could not be loaded", reason, StringComparison.Ordinal);
            Assert.Contains(path, reason, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task TransportSet_WithoutQuic_WarnsAndServesQuicAddressesOverTcp()
    {
        RequireNoQuic();
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);
        var logger = new RecordingLogger();
        await using var server = TransportSet.Create(serverIdentity, new TestHandler().Protocols, new TransportOptions(), logger: logger);
        await using var client = TransportSet.Create(clientIdentity, new TestHandler().Protocols, new TransportOptions());

        Assert.False(server.QuicAvailable);
        Assert.Equal(TransportScheme.Tcp, server.Scheme);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("QUIC unavailable; using TCP+TLS", StringComparison.Ordinal));

        var listener = await server.ListenAsync(TransportAddress.Parse("quic://127.0.0.1:0"));
        Assert.Equal(TransportScheme.Tcp, listener.LocalAddress.Scheme);

        // The peer announces QUIC and TCP; without QUIC the dialler goes straight to TCP.
        var announced = new[] { TransportAddress.Parse($"quic://127.0.0.1:{listener.LocalAddress.Port}/p2p/{serverIdentity.PeerId}"), listener.LocalAddress };
        await using var connection = await client.DialAnyAsync(announced).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(serverIdentity.PeerId, connection.RemotePeer);
        using var r = await connection.RequestAsync(TestProtocols.Control, "x"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TransportScheme.Tcp, connection.RemoteAddress.Scheme);

        var quicOnly = await Assert.ThrowsAsync<TransportException>(async () => await client.DialAsync(announced[0]));
        Assert.Equal(TransportError.QuicUnavailable, quicOnly.Reason);
    }

    [Fact]
    public void DialOrder_PrefersQuicWhenBothSidesHaveIt()
    {
        var quic = TransportAddress.Parse("quic://10.0.0.1:4001");
        var tcp = TransportAddress.Parse("tcp://10.0.0.1:4001");
        var mem = TransportAddress.Parse("mem://10.0.0.1:4001");
        Assert.Equal([quic, tcp], TransportSet.DialOrder([tcp, mem, quic], quicAvailable: true));
        Assert.Equal([tcp], TransportSet.DialOrder([tcp, mem, quic], quicAvailable: false));
        Assert.Equal([tcp], TransportSet.DialOrder([tcp], quicAvailable: true));
        Assert.Empty(TransportSet.DialOrder([quic], quicAvailable: false));
    }
}

/// <summary>Keeps formatted log entries.</summary>
public sealed class RecordingLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
