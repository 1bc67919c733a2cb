using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// Closing a connection whose link has broken. The close is bounded on the connection's clock, which
/// a test (or a simulation) may never move again: it must end because the link failed, not because time passed.
/// </summary>
public sealed class ConnectionCloseTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Close_WhenTheGoodbyeFailsOnALinkThePeerReset_FinishesWithoutTheClockMoving()
    {
        var clock = new VirtualTimeProvider();
        var link = new RecordingLink { FailWith = new IOException("Connection reset by peer.") };
        var peer = PeerId.Random(new Random(7));
        var address = TransportAddress.Create(TransportScheme.Memory, IPAddress.Loopback, 0, peer);
        var connection = new MuxConnection(link, TransportScheme.Memory, peer, address, isInitiator: true, new TestHandler().Protocols, new TransportOptions(), clock, NullLogger.Instance);

        // The goodbye is written (and fails) before the close flushes: the flush finds the writer closed.
        await connection.CloseAsync().AsTask().WaitAsync(Guard);

        Assert.Single(link.Writes);
        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.Equal(TransportError.Closed, connection.CloseReason);
    }
}
