using System.Net.Quic;
using System.Runtime.Versioning;
using System.Text;
using Overlay.Crypto;
using Overlay.Transport.Framing;
using Overlay.Transport.Quic;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.Quic;

/// <summary>
/// What the QUIC stream layout adds: every stream is a QUIC stream of its own beside the control stream,
/// opens with a 12-byte header naming its protocol, and is bounded by QUIC's stream limit. Bad headers
/// (seeded random ones included) abort only their stream, counted; the connection and the node go on.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
[Collection(DropCountingCollection.Name)]
public sealed class QuicStreamTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static void RequireQuic()
    {
        if (!QuicTestLibrary.IsAvailable(out var reason))
        {
            Assert.Skip(reason);
        }
    }

    private static byte[] Header(FrameType type, byte protocol, int length = 0, byte version = FrameHeader.CurrentVersion)
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(type, FrameFlags.None, 4, length, protocol).WriteTo(bytes);
        bytes[0] = version;
        return bytes;
    }

    /// <summary>A dialler that speaks raw QUIC: it opens the control stream as a node does, then streams by hand.</summary>
    private static async Task<(QuicTransport Transport, QuicConnection Connection, QuicStream Control)> RawAsync(TestNode server)
    {
        var identity = NodeIdentity.FromRandom(new Random(5));
        var transport = new QuicTransport(identity, new ProtocolDispatcher(), QuicTestLibrary.WithLibrary(null));
        var (connection, control, _) = await transport.ConnectAsync(server.Address, CancellationToken.None).WaitAsync(Guard);
        return (transport, connection, control);
    }

    /// <summary>Sends <paramref name="header"/> (then FIN) on a new stream; returns the abort code, or null when the stream ended normally.</summary>
    private static async Task<long?> SendHeaderAsync(QuicConnection connection, ReadOnlyMemory<byte> header)
    {
        await using var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional).AsTask().WaitAsync(Guard);
        try
        {
            await stream.WriteAsync(header, completeWrites: true).AsTask().WaitAsync(Guard);
            var buffer = new byte[64];
            while (await stream.ReadAsync(buffer).AsTask().WaitAsync(Guard) > 0)
            {
            }

            return null;
        }
        catch (QuicException ex) when (ex.QuicError == QuicError.StreamAborted)
        {
            return ex.ApplicationErrorCode;
        }
    }

    [Fact]
    public async Task OpenStream_EachIsAQuicStreamOfItsOwn_InBothDirections()
    {
        RequireQuic();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync();
        var client = await network.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address).AsTask().WaitAsync(Guard);

        var ids = new HashSet<long>();
        for (var i = 0; i < 3; i++)
        {
            await using var stream = await connection.OpenStreamAsync(TestProtocols.Bulk).AsTask().WaitAsync(Guard);
            Assert.Equal(TestProtocols.Bulk, stream.Protocol);
            Assert.True(ids.Add(stream.Id));

            // QUIC numbers the dialler's bidirectional streams 0, 4, 8, …; 0 is the control stream.
            Assert.True(stream.Id > 0 && stream.Id % 4 == 0, stream.Id.ToString());
            await stream.WriteAsync("E"u8.ToArray());
            await stream.WriteAsync("x"u8.ToArray());
            await stream.CompleteWritesAsync();
            var echo = new byte[4];
            Assert.Equal(1, await stream.ReadAsync(echo).AsTask().WaitAsync(Guard));
        }

        // The listener opens streams towards the dialler as well.
        var accepted = await server.Listener.AcceptAsync().AsTask().WaitAsync(Guard);
        await using var back = await accepted.OpenStreamAsync(TestProtocols.Control).AsTask().WaitAsync(Guard);
        Assert.Equal(1, back.Id % 4);
        await back.WriteAsync("E"u8.ToArray());
        await back.WriteAsync("back"u8.ToArray());
        await back.CompleteWritesAsync();
        var answer = new byte[4];
        var got = 0;
        int n;
        while ((n = await back.ReadAsync(answer.AsMemory(got)).AsTask().WaitAsync(Guard)) > 0)
        {
            got += n;
        }

        Assert.Equal("back", Encoding.ASCII.GetString(answer, 0, got));
    }

    [Fact]
    public async Task Priority_OnThisLibMsQuic_IsSetOnEveryKindOfStream()
    {
        RequireQuic();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync();
        var (transport, raw, control) = await RawAsync(server);
        await using var _t = transport;
        await using var _c = control;
        await using var stream = await raw.OpenOutboundStreamAsync(QuicStreamType.Bidirectional).AsTask().WaitAsync(Guard);

        // Without it a bulk stream would hold requests behind everything it has buffered (see QuicStreamPriority).
        Assert.True(QuicStreamPriority.TrySet(stream, QuicStreamPriority.Bulk, QuicTestLibrary.ConfiguredPath), QuicStreamPriority.UnavailableReason);
        Assert.True(QuicStreamPriority.TrySet(control, QuicStreamPriority.Control, QuicTestLibrary.ConfiguredPath), QuicStreamPriority.UnavailableReason);
        Assert.Null(QuicStreamPriority.UnavailableReason);
        await raw.DisposeAsync();
    }

    [Fact]
    public async Task StreamHeader_Malformed_AbortsThatStreamOnlyWithItsReasonCounted()
    {
        RequireQuic();
        using var counts = new DropCounter();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync(new TransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(2) });
        var (transport, raw, rawControl) = await RawAsync(server);
        await using var _t = transport;

        // Held to the end: a control stream the collector finalises would close the connection under the test.
        await using var _s = rawControl;
        var accepted = await server.Listener.AcceptAsync().AsTask().WaitAsync(Guard);

        var control = TestProtocols.Control.Number;
        var cases = new (string Reason, byte[] Bytes, long Code)[]
        {
            ("truncated_stream_header", Header(FrameType.StreamOpen, control)[..5], (long)ProtocolRefusal.Failed),
            ("bad_stream_header", Header(FrameType.Ping, 0), (long)ProtocolRefusal.Failed),
            ("bad_stream_header", Header(FrameType.StreamOpen, control, length: 3), (long)ProtocolRefusal.Failed),
            ("length_too_large", Header(FrameType.StreamOpen, control, length: int.MaxValue), (long)ProtocolRefusal.Failed),
            ("missing_protocol", Header(FrameType.StreamOpen, 0), (long)ProtocolRefusal.Failed),
            ("unsupported_version", Header(FrameType.StreamOpen, control, version: 1), (long)ProtocolRefusal.Failed),
            ("unknown_type", Header((FrameType)99, control), (long)ProtocolRefusal.Failed),
            ("unsupported_protocol", Header(FrameType.StreamOpen, TestProtocols.Unknown.Number), (long)ProtocolRefusal.UnsupportedProtocol),
            ("protocol_unavailable", Header(FrameType.StreamOpen, TestProtocols.NotStarted.Number), (long)ProtocolRefusal.Unavailable),
        };

        foreach (var (reason, bytes, code) in cases)
        {
            var before = counts.Get(reason);
            Assert.Equal(code, await SendHeaderAsync(raw, bytes));
            Assert.Equal(before + 1, counts.Get(reason));
        }

        // A stream that names nothing within the handshake timeout is given up on.
        await using (var silent = await raw.OpenOutboundStreamAsync(QuicStreamType.Bidirectional).AsTask().WaitAsync(Guard))
        {
            await silent.WriteAsync(Header(FrameType.StreamOpen, control).AsMemory(0, 3)).AsTask().WaitAsync(Guard);
            var ex = await Assert.ThrowsAsync<QuicException>(async () => _ = await silent.ReadAsync(new byte[1]).AsTask().WaitAsync(Guard));
            Assert.Equal(QuicError.StreamAborted, ex.QuicError);
        }

        Assert.Equal(1, counts.Get("stream_header_timeout"));

        // The connection lives, and a well-formed stream on it is served.
        Assert.Null(await SendHeaderAsync(raw, Header(FrameType.StreamOpen, control)));
        Assert.False(accepted.Closed.IsCancellationRequested);
        await raw.DisposeAsync();
    }

    [Fact]
    public async Task StreamHeader_TwoThousandSeededRandomAndMutated_NeverHarmTheConnection()
    {
        RequireQuic();
        using var counts = new DropCounter();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync();
        var client = await network.StartNodeAsync();
        var (transport, raw, rawControl) = await RawAsync(server);
        await using var _t = transport;

        // Held to the end: a control stream the collector finalises would close the connection under the test.
        await using var _s = rawControl;
        var accepted = await server.Listener.AcceptAsync().AsTask().WaitAsync(Guard);

        var random = new Random(20260601);
        var valid = Header(FrameType.StreamOpen, TestProtocols.Control.Number);
        int served = 0, refused = 0;
        for (var i = 0; i < 2_000; i++)
        {
            byte[] header;
            if (i % 2 == 0)
            {
                header = new byte[random.Next(0, 20)];
                random.NextBytes(header);
            }
            else
            {
                header = (byte[])valid.Clone();
                header[random.Next(header.Length)] = (byte)random.Next(256);
            }

            if (await SendHeaderAsync(raw, header) is null)
            {
                served++;
            }
            else
            {
                refused++;
            }
        }

        // Most mutations break the header; the ones that still name a served protocol are served.
        Assert.True(served > 0 && refused > 0, $"served {served}, refused {refused}");
        Assert.False(accepted.Closed.IsCancellationRequested);
        Assert.True(counts.Total >= refused, counts.ToString());

        await using var connection = await client.Transport.DialAsync(server.Address).AsTask().WaitAsync(Guard);
        using var response = await connection.RequestAsync(TestProtocols.Control, "still here"u8.ToArray()).AsTask().WaitAsync(Guard);
        Assert.Equal("still here", Encoding.ASCII.GetString(response.Payload.Span));
        await raw.DisposeAsync();
    }

    [Fact]
    public async Task OpenStream_BeyondThePeersLimit_WaitsForQuicCreditInsteadOfFailing()
    {
        RequireQuic();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync(new TransportOptions { MaxStreamsPerConnection = 4 });
        var client = await network.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address).AsTask().WaitAsync(Guard);

        var held = new List<TransportStream>();
        for (var i = 0; i < 4; i++)
        {
            var stream = await connection.OpenStreamAsync(TestProtocols.Bulk).AsTask().WaitAsync(Guard);
            await stream.WriteAsync("E"u8.ToArray());
            held.Add(stream);
        }

        // The listener grants four streams beside the control stream: a fifth cannot even start.
        using var cancel = new CancellationTokenSource();
        var fifth = connection.OpenStreamAsync(TestProtocols.Bulk, cancel.Token).AsTask();
        while (server.Handler.StreamsServing < 4)
        {
            using var r = await connection.RequestAsync(TestProtocols.Control, "tick"u8.ToArray()).AsTask().WaitAsync(Guard);
        }

        using (var r = await connection.RequestAsync(TestProtocols.Control, "tick"u8.ToArray()).AsTask().WaitAsync(Guard))
        {
        }

        Assert.False(fifth.IsCompleted);

        // One ends: its credit comes back and the fifth opens.
        await held[0].CompleteWritesAsync();
        while (await held[0].ReadAsync(new byte[8]).AsTask().WaitAsync(Guard) > 0)
        {
        }

        await held[0].DisposeAsync();
        await using var opened = await fifth.WaitAsync(Guard);
        foreach (var stream in held.Skip(1))
        {
            await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task Listener_AStreamThatOvertakesTheControlStream_IsServedOnceTheControlStreamArrives()
    {
        RequireQuic();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync();
        using var identity = NodeIdentity.FromRandom(new Random(6));
        await using var transport = new QuicTransport(identity, new ProtocolDispatcher(), QuicTestLibrary.WithLibrary(null));

        // Open the control stream (id 0) without sending on it, so the listener cannot see it yet,
        // then a transport stream (id 4) that carries its header and data first.
        var (connection, _) = await transport.HandshakeAsync(server.Address, CancellationToken.None).WaitAsync(Guard);
        await using var _c = connection;
        var control = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional).AsTask().WaitAsync(Guard);
        var early = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional).AsTask().WaitAsync(Guard);
        Assert.Equal(4, early.Id);
        await early.WriteAsync(Header(FrameType.StreamOpen, TestProtocols.Control.Number).Concat("Eearly"u8.ToArray()).ToArray(), completeWrites: true).AsTask().WaitAsync(Guard);

        var accept = server.Listener.AcceptAsync().AsTask();
        var ping = new byte[FrameHeader.Size];
        new FrameHeader(FrameType.Ping, FrameFlags.None, 0, 0).WriteTo(ping);
        await control.WriteAsync(ping).AsTask().WaitAsync(Guard);
        await using var accepted = await accept.WaitAsync(Guard);

        var echo = new byte[5];
        var got = 0;
        int n;
        while ((n = await early.ReadAsync(echo.AsMemory(got)).AsTask().WaitAsync(Guard)) > 0)
        {
            got += n;
        }

        Assert.Equal("early", Encoding.ASCII.GetString(echo, 0, got));
        await early.DisposeAsync();
        await control.DisposeAsync();
    }
}
