using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Transport.Admission;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tests.Quic;

namespace Overlay.Transport.Tests.Admission;

public sealed class RefusalLogTests
{
    [Fact]
    public void Inbound_AFloodOfRefusals_IsOneWarningPerReasonPerMinuteWithTheCountLeftOut()
    {
        var clock = new VirtualTimeProvider();
        var logger = new RecordingLogger();
        var log = new RefusalLog(logger, clock);
        var refusal = new ConnectionRefusal(RefusalReason.AddressLimit, IPAddress.Loopback, 1000);
        var shed = new ConnectionRefusal(RefusalReason.PendingLimit, IPAddress.Parse("203.0.113.9"), 256);

        for (var i = 0; i < 500; i++)
        {
            log.Inbound(refusal);
            log.Inbound(shed);
        }

        Assert.Equal(2, logger.Entries.Count);
        Assert.All(logger.Entries, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains("Transport:MaxConnectionsPerLoopbackAddress", logger.Entries[0].Message, StringComparison.Ordinal);
        Assert.Contains("address_limit", logger.Entries[0].Message, StringComparison.Ordinal);
        Assert.Contains("pending_limit", logger.Entries[1].Message, StringComparison.Ordinal);

        clock.Advance(RefusalLog.Interval - TimeSpan.FromTicks(1));
        log.Inbound(refusal);
        Assert.Equal(2, logger.Entries.Count);

        clock.Advance(TimeSpan.FromTicks(1));
        log.Inbound(refusal);
        Assert.Equal(3, logger.Entries.Count);
        Assert.Contains("500 more", logger.Entries[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Outbound_ReasonsFromPeers_AreExplainedAndUnknownOnesShareOneWindow()
    {
        var clock = new VirtualTimeProvider();
        var logger = new RecordingLogger();
        var log = new RefusalLog(logger, clock);
        var peer = TransportAddress.Parse("tcp://127.0.0.1:4001");

        log.Outbound(peer, "address_limit");
        log.Outbound(peer, "address_limit");
        for (var i = 0; i < 100; i++)
        {
            log.Outbound(peer, "made_up_" + new string('x', i % 20));
        }

        Assert.Equal(2, logger.Entries.Count);
        Assert.Contains("tcp://127.0.0.1:4001 refused this node's connection", logger.Entries[0].Message, StringComparison.Ordinal);
        Assert.Contains("per-address limit", logger.Entries[0].Message, StringComparison.Ordinal);
        Assert.Contains("made_up_", logger.Entries[1].Message, StringComparison.Ordinal);
    }
}
