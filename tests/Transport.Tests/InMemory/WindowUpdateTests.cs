using System.Buffers.Binary;
using Overlay.Crypto;
using Overlay.Transport.Framing;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;
using Overlay.Transport.Tests.Contract;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// StreamWindow frames out of range: a grant of nothing, or credit beyond the largest window any
/// receiver may have (<see cref="TransportOptions.MaxStreamWindowBytes"/>), closes the connection as a
/// protocol violation and is counted; grants in range keep it; the node serves everyone else.
/// </summary>
[Collection(DropCountingCollection.Name)]
public sealed class WindowUpdateTests
{
    [Theory]
    [InlineData(new uint[] { 0 }, "window_zero")]
    [InlineData(new uint[] { uint.MaxValue }, "window_overflow")]
    [InlineData(new uint[] { 32 << 20, 32 << 20 }, "window_overflow")]
    [InlineData(new uint[] { (64 << 20) - (64 << 10) + 1 }, "window_overflow")]
    [InlineData(new uint[] { 1, 0 }, "window_zero")]
    public void StreamWindow_OutOfRange_ClosesTheConnectionCountedAndTheNodeServesOthers(uint[] increments, string reason)
    {
        using var counts = new DropCounter();
        var outcome = Run(increments, seed: 1);
        Assert.True(outcome.Closed);
        Assert.Equal(TransportError.ProtocolViolation, outcome.Reason);
        Assert.Equal(1, counts.Get(reason));
        Assert.True(outcome.OthersServed);
    }

    [Fact]
    public void StreamWindow_UpToTheLargestWindow_KeepsTheConnection()
    {
        using var counts = new DropCounter();
        var outcome = Run([(64 << 20) - (64 << 10)], seed: 2);
        Assert.False(outcome.Closed);
        Assert.Equal(0, counts.Get("window_overflow"));
        Assert.True(outcome.OthersServed);
    }

    [Fact]
    public void StreamWindow_SeededRandomGrants_OutcomeMatchesTheRuleEveryTime()
    {
        using var counts = new DropCounter();
        var random = new Random(19);
        long expectedZero = 0, expectedOverflow = 0;
        for (var round = 0; round < 200; round++)
        {
            var increments = new uint[random.Next(1, 5)];
            for (var i = 0; i < increments.Length; i++)
            {
                increments[i] = random.Next(5) switch
                {
                    0 => 0,
                    1 => (uint)random.Next(1, 1 << 20),
                    2 => (uint)random.Next(1, 64 << 20),
                    3 => (uint)random.NextInt64(64L << 20, 1L << 32),
                    _ => (uint)random.Next(1, 32 << 20),
                };
            }

            // The rule: the opener's credit starts at 64 KiB; the first zero grant or the first grant
            // that takes the credit past 64 MiB is fatal, and nothing after it is read.
            long credit = MuxConnection.InitialWindow;
            string? fatal = null;
            foreach (var increment in increments)
            {
                if (increment == 0)
                {
                    fatal = "window_zero";
                    break;
                }

                credit += increment;
                if (credit > TransportOptions.MaxStreamWindowBytes)
                {
                    fatal = "window_overflow";
                    break;
                }
            }

            expectedZero += fatal == "window_zero" ? 1 : 0;
            expectedOverflow += fatal == "window_overflow" ? 1 : 0;
            var outcome = Run(increments, seed: round + 100);
            Assert.Equal(fatal is not null, outcome.Closed);
            if (fatal is not null)
            {
                Assert.Equal(TransportError.ProtocolViolation, outcome.Reason);
            }

            Assert.True(outcome.OthersServed);
        }

        Assert.True(expectedZero > 20 && expectedOverflow > 20, $"zero {expectedZero}, overflow {expectedOverflow}");
        Assert.Equal(expectedZero, counts.Get("window_zero"));
        Assert.Equal(expectedOverflow, counts.Get("window_overflow"));
    }

    /// <summary>
    /// A peer opens a bulk stream the node will write to ('W': the handler reads nothing more), then
    /// sends <paramref name="increments"/> as StreamWindow frames for it; a second peer asks afterwards.
    /// </summary>
    private static (bool Closed, TransportError? Reason, bool OthersServed) Run(uint[] increments, int seed)
    {
        var net = new InMemoryNetwork(new VirtualTimeProvider(), seed, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(2))));
        var ids = new Random(seed);
        var server = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        var client = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        var other = net.CreateNode(PeerId.Random(ids), new TestHandler().Protocols);
        (bool, TransportError?, bool) outcome = default;
        net.Run(async () =>
        {
            var listener = await server.ListenAsync(server.Host);
            var connection = (MuxConnection)await client.DialAsync(listener.LocalAddress);
            var accepted = await listener.AcceptAsync();
            var stream = await connection.OpenStreamAsync(TestProtocols.Bulk);
            await stream.WriteAsync("W"u8.ToArray());

            var frames = new byte[increments.Length * (FrameHeader.Size + 4)];
            for (var i = 0; i < increments.Length; i++)
            {
                var at = frames.AsSpan(i * (FrameHeader.Size + 4));
                new FrameHeader(FrameType.StreamWindow, FrameFlags.None, (uint)stream.Id, 4).WriteTo(at);
                BinaryPrimitives.WriteUInt32BigEndian(at[FrameHeader.Size..], increments[i]);
            }

            ((InMemoryLink)connection.Link).InjectRaw(frames);
            await Task.Delay(TimeSpan.FromMilliseconds(100), net.Clock);
            var closed = accepted.Closed.IsCancellationRequested;

            await using var second = await other.DialAsync(listener.LocalAddress);
            using var response = await second.RequestAsync(TestProtocols.Control, "after"u8.ToArray(), MessagePriority.High);
            outcome = (closed, accepted.CloseReason, response.Payload.Length == 5);
            await connection.CloseAsync();
        });
        return outcome;
    }
}
