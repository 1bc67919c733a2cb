using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;

namespace Overlay.Transport.Tests.InMemory;

/// <summary>
/// The tuner's rule on a hand-driven clock: it doubles only with enough round-trip samples, a fresh one
/// within <see cref="ReceiveWindowTuner.MaxQueueingRatio"/> of the smallest, a reader that waited and
/// more than half a window per round trip; and never past the maximum.
/// </summary>
public sealed class ReceiveWindowTunerTests
{
    private const int Window = 64 * 1024;
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(10);

    // Each case starts at the tuner's creation, followed by one round trip measured during the stream
    // (so the epoch already lasts that round trip), then one read after a further wait.
    [Fact]
    public void OnConsumed_WindowPerRoundTripAndNoQueue_Doubles()
    {
        var (clock, _, tuner) = Setup(samples: RoundTripSampler.InitialSamples, fresh: Rtt);
        Assert.Equal(Window, Read(clock, tuner, Window, TimeSpan.FromMilliseconds(2)));
        Assert.Equal(2 * Window, tuner.Window);
    }

    [Fact]
    public void OnConsumed_FreshRoundTripShowsAQueue_KeepsTheWindow()
    {
        // Four windows in 42 ms against a 10 ms path would grow; the round trip measured during the
        // stream, 4× the smallest, says the bytes already queue.
        var (clock, _, tuner) = Setup(samples: RoundTripSampler.InitialSamples, fresh: 4 * Rtt);
        Assert.Equal(0, Read(clock, tuner, 4 * Window, TimeSpan.FromMilliseconds(2)));
        Assert.Equal(Window, tuner.Window);
    }

    [Fact]
    public void OnConsumed_FewerSamplesThanTheInitialBurst_KeepsTheWindow()
    {
        var (clock, _, tuner) = Setup(samples: RoundTripSampler.InitialSamples - 1, fresh: Rtt);
        Assert.Equal(0, Read(clock, tuner, Window, TimeSpan.FromMilliseconds(2)));
    }

    [Fact]
    public void OnConsumed_LessThanHalfAWindowPerRoundTrip_KeepsTheWindow()
    {
        // One window in 25 ms on a 10 ms path: 0.4 windows per round trip.
        var (clock, _, tuner) = Setup(samples: RoundTripSampler.InitialSamples, fresh: Rtt);
        Assert.Equal(0, Read(clock, tuner, Window, TimeSpan.FromMilliseconds(15)));
    }

    [Fact]
    public void OnConsumed_ReaderNeverWaited_KeepsTheWindow()
    {
        var (clock, _, tuner) = Setup(samples: RoundTripSampler.InitialSamples, fresh: Rtt);
        Assert.Equal(0, Read(clock, tuner, Window, TimeSpan.FromMilliseconds(2), readerWaits: false));
    }

    [Fact]
    public void OnConsumed_RepeatedGrowth_StopsAtTheMaximum()
    {
        var (clock, sampler, tuner) = Setup(samples: RoundTripSampler.InitialSamples, fresh: Rtt, max: 512 * 1024);
        Read(clock, tuner, tuner.Window, TimeSpan.FromMilliseconds(2));
        for (var i = 0; i < 10; i++)
        {
            // Each growth waits for a round trip measured after it.
            Sample(clock, sampler, Rtt);
            Read(clock, tuner, tuner.Window, TimeSpan.FromMilliseconds(2));
        }

        Assert.Equal(512 * 1024, tuner.Window);
    }

    private static (VirtualTimeProvider Clock, RoundTripSampler Sampler, ReceiveWindowTuner Tuner) Setup(int samples, TimeSpan fresh, int max = 16 << 20)
    {
        var clock = new VirtualTimeProvider();
        var sampler = new RoundTripSampler(clock);
        for (var i = 0; i < samples - 1; i++)
        {
            Sample(clock, sampler, Rtt);
        }

        var tuner = new ReceiveWindowTuner(Window, max, sampler, clock);
        Sample(clock, sampler, fresh);
        return (clock, sampler, tuner);
    }

    private static void Sample(VirtualTimeProvider clock, RoundTripSampler sampler, TimeSpan rtt)
    {
        Assert.True(sampler.TryStart(keepAlive: false, out var id, clock.GetTimestamp()));
        clock.Advance(rtt);
        Assert.True(sampler.OnPong(id));
    }

    /// <summary>Waits <paramref name="wait"/>, then reads <paramref name="bytes"/> at once; returns the growth.</summary>
    private static int Read(VirtualTimeProvider clock, ReceiveWindowTuner tuner, int bytes, TimeSpan wait, bool readerWaits = true)
    {
        if (readerWaits)
        {
            tuner.ReaderWaiting();
        }

        clock.Advance(wait);
        return tuner.OnConsumed(bytes);
    }
}
