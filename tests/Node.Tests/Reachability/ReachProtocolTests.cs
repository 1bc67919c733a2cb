using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Node.Reachability;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Reachability;

/// <summary>
/// reach/1 between in-memory nodes: the clock in every answer, dial backs that succeed and fail, and the limits
/// that keep a peer from aiming the responder at anyone else or making it dial without end.
/// </summary>
public sealed class ReachProtocolTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Meter _meter = new("test.reach");

    public void Dispose() => _meter.Dispose();

    [Fact]
    public void Time_AnswersTheResponderClock_AndTheAskerMeasuresTheSkew()
    {
        using var net = new Scenario(_meter, responderClockOffset: TimeSpan.FromSeconds(-7));
        net.Run(async s =>
        {
            var probe = await ReachClient.AskAsync(s.Connection, null, s.Clock, CancellationToken.None);
            Assert.Equal(ReachStatus.Time, probe.Answer!.Status);
            Assert.InRange(probe.SkewMs, -7000 - probe.SkewErrorMs - 1, -7000 + probe.SkewErrorMs + 1);
            Assert.Equal(s.Asker.Host.HostText, TransportAddress.Parse(probe.Answer.Observed).HostText);
        });
        Assert.Equal(1, net.Metrics.Answered(ReachStatus.Time));
    }

    [Fact]
    public void DialBack_ToTheAskersListenAddress_IsReachable()
    {
        using var net = new Scenario(_meter);
        net.Run(async s =>
        {
            var probe = await ReachClient.AskAsync(s.Connection, s.AskerListen, s.Clock, CancellationToken.None);
            Assert.Equal(ReachStatus.Reachable, probe.Answer!.Status);
            Assert.Null(probe.Answer.DialError);
        });
        Assert.Equal(1, net.Metrics.Answered(ReachStatus.Reachable));
    }

    [Fact]
    public void DialBack_ToAPortNothingListensOn_IsUnreachableWithTheReason()
    {
        using var net = new Scenario(_meter);
        net.Run(async s =>
        {
            var closed = s.AskerListen.WithPort(s.AskerListen.Port + 1);
            var probe = await ReachClient.AskAsync(s.Connection, closed, s.Clock, CancellationToken.None);
            Assert.Equal(ReachStatus.Unreachable, probe.Answer!.Status);
            Assert.Equal(TransportError.PeerUnreachable, probe.Answer.DialError);
            Assert.Equal(ReachabilityVerdict.Unreachable, ReachabilityReport.Judge([probe]));
        });
    }

    [Fact]
    public void DialBack_AtAnotherHost_IsRefusedAsForeign_AndWithoutTheCheckTheResponderWouldDialTheVictim()
    {
        // With the check: refused, counted, and the victim sees nothing.
        using (var guarded = new Scenario(_meter))
        {
            guarded.Run(async s =>
            {
                var probe = await ReachClient.AskAsync(s.Connection, s.VictimListen, s.Clock, CancellationToken.None);
                Assert.Equal(ReachStatus.ForeignAddress, probe.Answer!.Status);
            });
            Assert.Equal(1, guarded.Metrics.Answered(ReachStatus.ForeignAddress));
            Assert.Equal(0, guarded.VictimAccepted);
        }

        // Without it, the same request makes the responder dial the victim: the handshake there meets the
        // victim's identity (IdentityMismatch), which only a connection to the victim can have learnt.
        using var open = new Scenario(_meter, checkObservedHost: false);
        open.Run(async s =>
        {
            var probe = await ReachClient.AskAsync(s.Connection, s.VictimListen, s.Clock, CancellationToken.None);
            Assert.Equal(ReachStatus.Unreachable, probe.Answer!.Status);
            Assert.Equal(TransportError.IdentityMismatch, probe.Answer.DialError);
        });
        Assert.Equal(0, open.Metrics.Answered(ReachStatus.ForeignAddress));
    }

    [Fact]
    public void DialBack_PinningAnotherPeerId_IsRefusedAsForeign()
    {
        using var net = new Scenario(_meter);
        net.Run(async s =>
        {
            var other = PeerId.Random(new Random(5));
            var request = ReachCodec.DialBackRequest(s.AskerListen);
            var pinned = System.Text.Encoding.ASCII.GetBytes(s.AskerListen.WithPeer(other).ToString());
            var bytes = new byte[3 + pinned.Length];
            bytes[0] = request[0];
            bytes[1] = request[1];
            bytes[2] = (byte)pinned.Length;
            pinned.CopyTo(bytes, 3);
            using var response = await s.Connection.RequestAsync(ProtocolIds.Reach, bytes);
            Assert.True(ReachCodec.TryReadAnswer(response.Payload.Span, out var answer));
            Assert.Equal(ReachStatus.ForeignAddress, answer.Status);
        });
    }

    [Fact]
    public void DialBack_TwiceWithinAMinute_IsRateLimited_AndServedAgainAfterIt()
    {
        using var net = new Scenario(_meter);
        net.Run(async s =>
        {
            Assert.Equal(ReachStatus.Reachable, (await ReachClient.AskAsync(s.Connection, s.AskerListen, s.Clock, CancellationToken.None)).Answer!.Status);
            Assert.Equal(ReachStatus.RateLimited, (await ReachClient.AskAsync(s.Connection, s.AskerListen, s.Clock, CancellationToken.None)).Answer!.Status);
            // TIME is not limited: it costs the responder nothing but the answer.
            Assert.Equal(ReachStatus.Time, (await ReachClient.AskAsync(s.Connection, null, s.Clock, CancellationToken.None)).Answer!.Status);
            await Task.Delay(ReachProtocolHandler.PerPeerInterval, s.Clock);
            Assert.Equal(ReachStatus.Reachable, (await ReachClient.AskAsync(s.Connection, s.AskerListen, s.Clock, CancellationToken.None)).Answer!.Status);
        });
        Assert.Equal(1, net.Metrics.Answered(ReachStatus.RateLimited));
        Assert.Equal(2, net.Metrics.Answered(ReachStatus.Reachable));
    }

    [Fact]
    public void DialBack_MoreAtOnceThanAllowed_TheRestAreBusy_AndSlowDialsEndAtTheTimeout()
    {
        var clock = new VirtualTimeProvider(Start);
        var net = new InMemoryNetwork(clock, 5);
        var ids = new Random(13);
        var metrics = new ReachMetrics(_meter);
        var protocols = new ProtocolDispatcher();
        var responder = net.CreateNode(PeerId.Random(ids), protocols);
        protocols.Register(ProtocolIds.Reach, new ReachProtocolHandler(() => responder, clock, metrics, TimeSpan.FromSeconds(5)));
        var askers = new InMemoryTransport[ReachProtocolHandler.MaxConcurrentDialBacks + 1];
        for (var i = 0; i < askers.Length; i++)
        {
            // The answers travel 10 s back too: the askers wait longer than that for them.
            askers[i] = net.CreateNode(PeerId.Random(ids), new ProtocolDispatcher(), new TransportOptions { RequestTimeout = TimeSpan.FromMinutes(1) });
            // Dials from the responder to the askers take 20 s to set up: longer than the 5 s a dial back may take.
            net.SetLink(responder, askers[i], new LinkProfile(TimeSpan.FromSeconds(10), TimeSpan.Zero));
        }

        var statuses = new List<ReachStatus>();
        net.Run(async () =>
        {
            var listener = await responder.ListenAsync(responder.Host.WithPort(4001));
            var ready = new List<(ITransportConnection Connection, TransportAddress Own)>();
            foreach (var asker in askers)
            {
                var own = await asker.ListenAsync(asker.Host.WithPort(4001));
                _ = own.DrainAcceptedAsync();
                ready.Add((await asker.DialAsync(listener.LocalAddress), own.LocalAddress.WithPeer(null)));
            }

            // All at once: four dial backs start, the fifth finds them in flight.
            var asks = ready.Select(r => ReachClient.AskAsync(r.Connection, r.Own, clock, CancellationToken.None)).ToList();

            foreach (var probe in await Task.WhenAll(asks))
            {
                Assert.True(probe.Answer is not null, probe.Failure);
                statuses.Add(probe.Answer.Status);
                if (probe.Answer.Status == ReachStatus.Unreachable)
                {
                    Assert.Equal(TransportError.Timeout, probe.Answer.DialError);
                }
            }
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(ReachProtocolHandler.MaxConcurrentDialBacks, statuses.Count(s => s == ReachStatus.Unreachable));
        Assert.Equal(1, statuses.Count(s => s == ReachStatus.Busy));
        Assert.Equal(1, metrics.Answered(ReachStatus.Busy));
    }

    [Fact]
    public void Requests_SeededRandomAndMutated_AreAnsweredTypedAndCounted_AndTheNodeKeepsServing()
    {
        using var net = new Scenario(_meter);
        var random = new Random(19);
        const int Requests = 3_000;
        net.Run(async s =>
        {
            byte[][] valid = [ReachCodec.TimeRequest(), ReachCodec.DialBackRequest(s.AskerListen)];
            for (var i = 0; i < Requests; i++)
            {
                byte[] bytes;
                if (i % 2 == 0)
                {
                    bytes = new byte[random.Next(0, 300)];
                    random.NextBytes(bytes);
                }
                else
                {
                    bytes = (byte[])valid[random.Next(valid.Length)].Clone();
                    var at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }

                using var response = await s.Connection.RequestAsync(ProtocolIds.Reach, bytes);
                Assert.True(ReachCodec.TryReadAnswer(response.Payload.Span, out var answer), $"request {i} got an answer that does not decode");
            }

            // Still serving, on the same connection.
            Assert.Equal(ReachStatus.Time, (await ReachClient.AskAsync(s.Connection, null, s.Clock, CancellationToken.None)).Answer!.Status);
            Assert.False(s.Connection.Closed.IsCancellationRequested);
        }, TimeSpan.FromMinutes(2));

        long total = 0;
        for (var status = ReachStatus.Time; status <= ReachStatus.Busy; status++)
        {
            total += net.Metrics.Answered(status);
        }

        Assert.Equal(Requests + 1, total);
        Assert.True(net.Metrics.Answered(ReachStatus.Malformed) > 0);
        Assert.True(net.Metrics.Answered(ReachStatus.UnsupportedVersion) > 0);
        Assert.True(net.Metrics.Answered(ReachStatus.UnknownType) > 0);
    }

    [Fact]
    public void Codec_SeededMutationsOfValidRequestsAndAnswers_NeverThrow()
    {
        var random = new Random(23);
        var address = TransportAddress.Parse("tcp://192.0.2.7:4001");
        var answer = new System.Buffers.ArrayBufferWriter<byte>();
        ReachCodec.WriteAnswer(answer, ReachStatus.Unreachable, TransportError.Timeout, 1_700_000_000_000, "tcp://192.0.2.7:50000");
        byte[][] valid = [ReachCodec.TimeRequest(), ReachCodec.DialBackRequest(address), answer.WrittenSpan.ToArray()];
        var decoded = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])valid[random.Next(valid.Length)].Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            if (ReachCodec.TryReadType(bytes, out var type, out _) && ReachCodec.TryReadBody(bytes, type, out var read))
            {
                decoded++;
                Assert.True(type == ReachRequestType.Time || read is { Port: > 0 });
            }

            _ = ReachCodec.TryReadAnswer(bytes, out _);
        }

        // Some mutations leave a valid request (a changed address digit): the decoder is exercised on both sides.
        Assert.InRange(decoded, 1, 19_999);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 1, 1, 0 })]
    [InlineData(new byte[] { 1, 2, 0 })]
    [InlineData(new byte[] { 1, 2, 5, (byte)'t', (byte)'c', (byte)'p', (byte)':', (byte)'/' })]
    public void TryReadBody_Malformed_IsRefused(byte[] request)
    {
        Assert.False(ReachCodec.TryReadType(request, out var type, out _) && ReachCodec.TryReadBody(request, type, out _));
    }

    /// <summary>Three in-memory nodes: the asker (listening), the responder serving reach/1, and a bystander ("victim").</summary>
    private sealed class Scenario : IDisposable
    {
        private readonly InMemoryNetwork _net;
        private readonly InMemoryTransport _responder;
        private readonly InMemoryTransport _victim;

        public Scenario(Meter meter, TimeSpan responderClockOffset = default, bool checkObservedHost = true)
        {
            Clock = new VirtualTimeProvider(Start);
            _net = new InMemoryNetwork(Clock, 3);
            var ids = new Random(11);
            Metrics = new ReachMetrics(meter);
            var protocols = new ProtocolDispatcher();
            _responder = _net.CreateNode(PeerId.Random(ids), protocols);
            var victimProtocols = new ProtocolDispatcher();
            _victim = _net.CreateNode(PeerId.Random(ids), victimProtocols);
            Asker = _net.CreateNode(PeerId.Random(ids), new ProtocolDispatcher());
            protocols.Register(ProtocolIds.Reach, new ReachProtocolHandler(() => _responder, new OffsetClock(Clock, responderClockOffset), Metrics, TimeSpan.FromSeconds(5), checkObservedHost));
        }

        public VirtualTimeProvider Clock { get; }

        public ReachMetrics Metrics { get; }

        public InMemoryTransport Asker { get; }

        public TransportAddress AskerListen { get; private set; } = null!;

        public TransportAddress VictimListen { get; private set; } = null!;

        public ITransportConnection Connection { get; private set; } = null!;

        public int VictimAccepted { get; private set; }

        public void Run(Func<Scenario, Task> body, TimeSpan? limit = null) => _net.Run(async () =>
        {
            var responderListener = await _responder.ListenAsync(_responder.Host.WithPort(4001));
            var askerListener = await Asker.ListenAsync(Asker.Host.WithPort(4001));
            var victimListener = await _victim.ListenAsync(_victim.Host.WithPort(4001));
            AskerListen = askerListener.LocalAddress.WithPeer(null);
            VictimListen = victimListener.LocalAddress.WithPeer(null);
            _ = DrainAsync(askerListener, null);
            _ = DrainAsync(victimListener, () => VictimAccepted++);
            await using var connection = await Asker.DialAsync(responderListener.LocalAddress);
            Connection = connection;
            await body(this);
        }, limit);

        public void Dispose()
        {
        }

        private static async Task DrainAsync(ITransportListener listener, Action? accepted)
        {
            try
            {
                while (true)
                {
                    var c = await listener.AcceptAsync();
                    accepted?.Invoke();
                    await c.DisposeAsync();
                }
            }
            catch (Exception e) when (e is TransportException or ObjectDisposedException or OperationCanceledException)
            {
                // The run ended.
            }
        }
    }

    private sealed class OffsetClock(TimeProvider inner, TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + offset;

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => inner.CreateTimer(callback, state, dueTime, period);
    }
}
