using System.Diagnostics.Metrics;
using System.Text;
using Overlay.Crypto;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Tests.Contract;

/// <summary>
/// The behaviour every transport must show, run once per implementation by a subclass that
/// supplies the network. Each test's body runs under the network's wall-clock guard.
/// Classes that count dropped frames share one collection so their counts do not mix.
/// </summary>
[Collection(DropCountingCollection.Name)]
public abstract class TransportContractTests : IAsyncLifetime
{
    private ITestNetwork? _network;

    protected ITestNetwork Net => _network ?? throw new InvalidOperationException("not initialised");

    /// <summary>Creates the network, or calls Assert.Skip with the reason it cannot run here.</summary>
    protected abstract ITestNetwork CreateNetwork();

    /// <summary>How much the 100 MB test sends; an implementation may not lower it.</summary>
    protected virtual long LargeTransferBytes => 100L * 1024 * 1024;

    public ValueTask InitializeAsync()
    {
        _network = CreateNetwork();
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public Task Request_WellFormed_ReturnsTheResponse() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        Assert.Equal(server.Peer, connection.RemotePeer);
        using var response = await connection.RequestAsync(TestProtocols.Control, "hello"u8.ToArray());
        Assert.Equal("hello", Encoding.ASCII.GetString(response.Payload.Span));

        // The server authenticated the dialler too.
        using var who = await connection.RequestAsync(TestProtocols.Control, "whoami"u8.ToArray());
        Assert.Equal(client.Peer.ToString(), Encoding.ASCII.GetString(who.Payload.Span));
    });

    [Fact]
    public Task Dial_WithTheWrongPinnedPeer_FailsWithIdentityMismatch() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        var wrong = server.Address.WithPeer(PeerId.Random(new Random(5)));

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await client.Transport.DialAsync(wrong));
        Assert.Equal(TransportError.IdentityMismatch, ex.Reason);

        // The right pin still works afterwards.
        await using var ok = await client.Transport.DialAsync(server.Address.WithPeer(server.Peer));
        Assert.Equal(server.Peer, ok.RemotePeer);
    });

    [Fact]
    public Task Dial_WhereNothingListens_FailsWithPeerUnreachable() => Net.RunAsync(async () =>
    {
        var client = await Net.StartNodeAsync();
        var ex = await Assert.ThrowsAsync<TransportException>(async () => await client.Transport.DialAsync(Net.UnusedAddress));
        Assert.Equal(TransportError.PeerUnreachable, ex.Reason);
    });

    [Fact]
    public Task Send_OneWayMessage_IsDelivered() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        await connection.SendAsync(TestProtocols.Control, "one"u8.ToArray());
        await connection.SendAsync(TestProtocols.Control, "two"u8.ToArray(), MessagePriority.High);
        var first = await server.Handler.Messages.Reader.ReadAsync();
        var second = await server.Handler.Messages.Reader.ReadAsync();
        Assert.Equal("one", Encoding.ASCII.GetString(first));
        Assert.Equal("two", Encoding.ASCII.GetString(second));
    });

    [Fact]
    public Task Request_WhenTheHandlerThrows_FailsWithRemoteErrorAndTheConnectionLives() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(TestProtocols.Control, "fail"u8.ToArray()));
        Assert.Equal(TransportError.RemoteError, ex.Reason);
        using var response = await connection.RequestAsync(TestProtocols.Control, "after"u8.ToArray());
        Assert.Equal("after", Encoding.ASCII.GetString(response.Payload.Span));
    });

    [Fact]
    public Task Request_Unanswered_FailsWithTimeout() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync(new TransportOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        await using var connection = await client.Transport.DialAsync(server.Address);

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(TestProtocols.Control, "hang"u8.ToArray()));
        Assert.Equal(TransportError.Timeout, ex.Reason);
    });

    [Fact]
    public Task Request_Cancelled_ThrowsOperationCanceled() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);
        using var cts = new CancellationTokenSource();
        var pending = connection.RequestAsync(TestProtocols.Control, "hang"u8.ToArray(), cancellationToken: cts.Token).AsTask();
        // Cancel, not CancelAsync: the latter runs callbacks on the thread pool, off the simulator's scheduler.
        cts.Cancel();
        try
        {
            await pending;
            Assert.Fail("The request completed although it was cancelled.");
        }
        catch (Exception ex)
        {
            Assert.True(ex is OperationCanceledException, ex.ToString());
        }
    });

    [Fact]
    public Task Request_ThousandConcurrent_AllAnswered() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        var tasks = new Task<string>[1000];
        for (var i = 0; i < tasks.Length; i++)
        {
            var payload = Encoding.ASCII.GetBytes($"r{i}");
            tasks[i] = Ask(connection, payload);
        }

        var answers = await Task.WhenAll(tasks);
        for (var i = 0; i < answers.Length; i++)
        {
            Assert.Equal($"r{i}", answers[i]);
        }

        static async Task<string> Ask(ITransportConnection c, byte[] payload)
        {
            using var r = await c.RequestAsync(TestProtocols.Control, payload);
            return Encoding.ASCII.GetString(r.Payload.Span);
        }
    });

    [Fact]
    public Task Stream_OneMegabyte_ArrivesIntact() => Net.RunAsync(() => TransferAndCompareHashes(1024 * 1024, seed: 1));

    [Fact]
    public Task Stream_HundredMegabytes_ArrivesIntact() => Net.RunAsync(() => TransferAndCompareHashes(LargeTransferBytes, seed: 2));

    private async Task TransferAndCompareHashes(long total, int seed)
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);
        await TransferAndCompareHashes(connection, total, seed);
    }

    private static async Task TransferAndCompareHashes(ITransportConnection connection, long total, int seed)
    {
        await using var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
        await stream.WriteAsync("H"u8.ToArray());

        var random = new Random(seed);
        var chunk = new byte[256 * 1024];
        using var hasher = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (long sent = 0; sent < total;)
        {
            var n = (int)Math.Min(chunk.Length, total - sent);
            random.NextBytes(chunk.AsSpan(0, n));
            hasher.AppendData(chunk.AsSpan(0, n));
            await stream.WriteAsync(chunk.AsMemory(0, n));
            sent += n;
        }

        await stream.CompleteWritesAsync();
        var expected = new byte[32];
        hasher.GetHashAndReset(expected);

        var answer = new byte[40];
        var got = 0;
        int read;
        while ((read = await stream.ReadAsync(answer.AsMemory(got))) > 0)
        {
            got += read;
        }

        Assert.Equal(40, got);
        Assert.Equal(total, BitConverter.ToInt64(answer, 32));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(answer, 0, 32));
    }

    [Fact]
    public Task Stream_ThousandConcurrent_AllEchoed() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        var tasks = new Task[1000];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Echo(connection, i);
        }

        await Task.WhenAll(tasks);
        Assert.Equal(0, connection.ActiveOperations);

        static async Task Echo(ITransportConnection connection, int i)
        {
            await using var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
            var payload = new byte[1 + 100 + (i % 50)];
            payload[0] = (byte)'E';
            new Random(i).NextBytes(payload.AsSpan(1));
            await stream.WriteAsync(payload);
            await stream.CompleteWritesAsync();
            var back = new byte[payload.Length];
            var got = 0;
            int n;
            while ((n = await stream.ReadAsync(back.AsMemory(got))) > 0)
            {
                got += n;
            }

            Assert.Equal(payload.Length - 1, got);
            Assert.True(payload.AsSpan(1).SequenceEqual(back.AsSpan(0, got)));
        }
    });

    [Fact]
    public Task Stream_WhenThePeerIsKilledMidTransfer_FailsInsteadOfHanging() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        var connection = await client.Transport.DialAsync(server.Address);
        var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
        await stream.WriteAsync("H"u8.ToArray());
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 8; i++)
        {
            await stream.WriteAsync(chunk);
        }

        await Net.KillAsync(server);

        // Keep writing; the write or the read must fail with a transport error (bounded by the guard).
        var ex = await Assert.ThrowsAsync<TransportException>(async () =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                await stream.WriteAsync(chunk);
            }

            await stream.CompleteWritesAsync();
            var answer = new byte[40];
            while (await stream.ReadAsync(answer) > 0)
            {
            }
        });
        Assert.True(ex.Reason is TransportError.Closed or TransportError.PeerUnreachable, ex.Reason.ToString());

        // The stream may fail first (a reset from the dying peer); the connection must follow.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (connection.Closed.Register(() => closed.TrySetResult()))
        {
            await closed.Task;
        }

        await connection.DisposeAsync();
    });

    [Fact]
    public Task Close_Graceful_ClosesBothSides() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        var connection = await client.Transport.DialAsync(server.Address);
        var accepted = await server.Listener.AcceptAsync();
        Assert.Equal(client.Peer, accepted.RemotePeer);
        Assert.False(accepted.IsInitiator);

        var closed = new TaskCompletionSource();
        using var registration = accepted.Closed.Register(() => closed.TrySetResult());
        await connection.CloseAsync();
        await closed.Task;

        Assert.Equal(TransportError.Closed, connection.CloseReason);
        Assert.Equal(TransportError.Closed, accepted.CloseReason);
        var ex = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(TestProtocols.Control, "x"u8.ToArray()));
        Assert.Equal(TransportError.Closed, ex.Reason);
    });

    [Fact]
    public Task Listener_UnderMalformedFrames_CountsDropsAndKeepsServing() => Net.RunAsync(async () =>
    {
        using var counts = new DropCounter();
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        var random = new Random(1234);
        var frames = 0;
        var killed = 0;

        // Each raw connection gets a burst of mutated frames; non-fatal ones (unknown types,
        // answers to nothing) keep it open, and the first fatal one closes it.
        for (var round = 0; round < 40; round++)
        {
            await using var raw = await Net.OpenRawAsync(server);
            var served = await AcceptServedAsync(server, round);
            var burst = FrameFuzzer.Burst(random, 2_500, Net.StreamsAreFrames, out var count);
            frames += count;
            await raw.SendAsync(burst);
            if (FrameFuzzer.ContainsFatal(burst, Net.StreamsAreFrames))
            {
                // The listener's own side must close for the protocol violation: a raw channel that
                // merely ends (a refused handshake, a reset) proves nothing about the frames.
                await WhenClosedAsync(served);
                Assert.Equal(TransportError.ProtocolViolation, served.CloseReason);
                killed++;
            }
        }

        Assert.True(frames >= 100_000, $"only {frames} frames");
        Assert.True(killed > 0);
        Assert.True(counts.Get("unknown_type") > 0, counts.ToString());
        Assert.True(counts.Total - counts.Get("unknown_type") - counts.Get("unknown_stream") - counts.Get("unexpected_response") - counts.Get("remote_protocol_error") > 0);

        // A deliberately oversized frame is refused before its payload exists, with its own reason.
        var before = counts.Get("length_too_large");
        await using (var raw = await Net.OpenRawAsync(server))
        {
            var served = await AcceptServedAsync(server, 40);
            var header = new byte[FrameHeader.Size];
            new FrameHeader(FrameType.Request, FrameFlags.None, 1, int.MaxValue).WriteTo(header);
            await raw.SendAsync(header);
            await WhenClosedAsync(served);
        }

        Assert.Equal(before + 1, counts.Get("length_too_large"));

        await using var connection = await client.Transport.DialAsync(server.Address);
        using var response = await connection.RequestAsync(TestProtocols.Control, "still here"u8.ToArray());
        Assert.Equal("still here", Encoding.ASCII.GetString(response.Payload.Span));
    });

    [Fact]
    public Task Request_ForAProtocolNotServed_FailsTypedAndCountedAndTheConnectionLives() => Net.RunAsync(async () =>
    {
        using var counts = new DropCounter();
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        var unknown = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(TestProtocols.Unknown, "x"u8.ToArray()));
        Assert.Equal(TransportError.UnsupportedProtocol, unknown.Reason);
        var later = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(TestProtocols.NotStarted, "x"u8.ToArray()));
        Assert.Equal(TransportError.Unavailable, later.Reason);

        // A peer whose registry calls the bulk protocol's number a control protocol: refused for its class.
        var misfiled = new ProtocolId(TestProtocols.Bulk.Number, "misfiled/1", TrafficClass.Control);
        var wrongClass = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(misfiled, "x"u8.ToArray()));
        Assert.Equal(TransportError.RemoteError, wrongClass.Reason);

        Assert.Equal(1, counts.Get("unsupported_protocol"));
        Assert.Equal(1, counts.Get("protocol_unavailable"));
        Assert.Equal(1, counts.Get("wrong_class"));
        Assert.Equal(0, server.Handler.RequestsServed);
        using var response = await connection.RequestAsync(TestProtocols.Control, "still here"u8.ToArray());
        Assert.Equal("still here", Encoding.ASCII.GetString(response.Payload.Span));
        Assert.False(connection.Closed.IsCancellationRequested);
    });

    [Fact]
    public Task Request_ForABulkProtocol_IsRefusedBeforeItIsSent() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        await Assert.ThrowsAsync<ArgumentException>(async () => await connection.RequestAsync(TestProtocols.Bulk, "x"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await connection.SendAsync(TestProtocols.Bulk, "x"u8.ToArray()));
    });

    [Fact]
    public Task Message_ForAProtocolNotServed_IsDroppedAndCounted() => Net.RunAsync(async () =>
    {
        using var counts = new DropCounter();
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        await connection.SendAsync(TestProtocols.Unknown, "a"u8.ToArray(), MessagePriority.High);
        await connection.SendAsync(TestProtocols.NotStarted, "b"u8.ToArray(), MessagePriority.High);
        await connection.SendAsync(new ProtocolId(TestProtocols.Bulk.Number, "misfiled/1", TrafficClass.Control), "c"u8.ToArray(), MessagePriority.High);
        await connection.SendAsync(TestProtocols.Control, "d"u8.ToArray(), MessagePriority.High);

        // Frames are served in order: once the served message is in, the three before it were judged.
        Assert.Equal("d", Encoding.ASCII.GetString(await server.Handler.Messages.Reader.ReadAsync()));
        Assert.Equal(1, counts.Get("unsupported_protocol"));
        Assert.Equal(1, counts.Get("protocol_unavailable"));
        Assert.Equal(1, counts.Get("wrong_class"));
        Assert.False(connection.Closed.IsCancellationRequested);
    });

    [Fact]
    public Task Message_MoreAtOnceThanTheBound_AreDroppedAndCounted() => Net.RunAsync(async () =>
    {
        using var counts = new DropCounter();
        var server = await Net.StartNodeAsync(new TransportOptions { MaxConcurrentRequests = 4 });
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        // Four handlers that never return fill the bound; three more are dropped.
        for (var i = 0; i < 7; i++)
        {
            await connection.SendAsync(TestProtocols.Control, "hang"u8.ToArray());
        }

        using (var response = await connection.RequestAsync(TestProtocols.Control, "after"u8.ToArray(), MessagePriority.High))
        {
            Assert.Equal("after", Encoding.ASCII.GetString(response.Payload.Span));
        }

        Assert.Equal(3, counts.Get("message_limit"));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("hang", Encoding.ASCII.GetString(await server.Handler.Messages.Reader.ReadAsync()));
        }

        Assert.False(server.Handler.Messages.Reader.TryRead(out _));
    });

    [Fact]
    public Task Stream_ForAProtocolNotServed_IsResetWithTheTypedReason() => Net.RunAsync(async () =>
    {
        using var counts = new DropCounter();
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        foreach (var (protocol, expected) in new[] { (TestProtocols.Unknown, TransportError.UnsupportedProtocol), (TestProtocols.NotStarted, TransportError.Unavailable) })
        {
            await using var stream = await connection.OpenStreamAsync(protocol);
            var ex = await Assert.ThrowsAsync<TransportException>(async () =>
            {
                await stream.WriteAsync("H"u8.ToArray());
                await stream.CompleteWritesAsync();
                var buffer = new byte[8];
                while (await stream.ReadAsync(buffer) > 0)
                {
                }
            });
            Assert.Equal(expected, ex.Reason);
        }

        Assert.Equal(1, counts.Get("unsupported_protocol"));
        Assert.Equal(1, counts.Get("protocol_unavailable"));
        using var response = await connection.RequestAsync(TestProtocols.Control, "still here"u8.ToArray());
        Assert.Equal("still here", Encoding.ASCII.GetString(response.Payload.Span));
    });

    [Fact]
    public Task Stream_AbandonedMidwayByItsOpener_FailsTheReaderTypedAndTheNodeServesOn() => Net.RunAsync(async () =>
    {
        var server = await Net.StartNodeAsync();
        var client = await Net.StartNodeAsync();
        await using var connection = await client.Transport.DialAsync(server.Address);

        var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
        await stream.WriteAsync("E"u8.ToArray());
        await stream.WriteAsync(new byte[100_000]);

        // The handler is echoing, so it is reading when the reset comes (on QUIC a reset may overtake
        // bytes not yet delivered, and a stream reset before its header arrives never reaches a handler).
        var echoed = 0;
        var buffer = new byte[16 * 1024];
        while (echoed < 100_000)
        {
            echoed += await stream.ReadAsync(buffer);
        }

        // Disposed before its end: the peer's handler, still reading, learns it was reset.
        await stream.DisposeAsync();
        var failure = await server.Handler.StreamFailures.Reader.ReadAsync();
        Assert.Equal(TransportError.Closed, failure.Reason);

        using var response = await connection.RequestAsync(TestProtocols.Control, "still here"u8.ToArray());
        Assert.Equal("still here", Encoding.ASCII.GetString(response.Payload.Span));
        await TransferAndCompareHashes(connection, 300_000, seed: 3);
    });

    /// <summary>The listener's side of the raw connection just opened: offered only once its handshake passed and it is served.</summary>
    private async Task<ITransportConnection> AcceptServedAsync(TestNode server, int round)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20), Net.Time);
        try
        {
            return await server.Listener.AcceptAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Round {round}: the listener never served the raw connection (its handshake was refused or it was dropped).");
            throw;
        }
    }

    private static async Task WhenClosedAsync(ITransportConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (connection.Closed.Register(() => closed.TrySetResult()))
        {
            await closed.Task;
        }
    }
}

/// <summary>Collects <c>overlay.transport.frames_dropped</c> by reason while alive.</summary>
public sealed class DropCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _counts = [];

    public DropCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TransportMetrics.MeterName && instrument.Name == TransportMetrics.FramesDroppedName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason" && tag.Value is string reason)
                {
                    lock (_counts)
                    {
                        _counts[reason] = _counts.GetValueOrDefault(reason) + value;
                    }
                }
            }
        });
        _listener.Start();
    }

    public long Get(string reason)
    {
        lock (_counts)
        {
            return _counts.GetValueOrDefault(reason);
        }
    }

    public long Total
    {
        get
        {
            lock (_counts)
            {
                long sum = 0;
                foreach (var v in _counts.Values)
                {
                    sum += v;
                }

                return sum;
            }
        }
    }

    public override string ToString()
    {
        lock (_counts)
        {
            return string.Join(", ", _counts.Select(kv => $"{kv.Key}={kv.Value}"));
        }
    }

    public void Dispose() => _listener.Dispose();
}
