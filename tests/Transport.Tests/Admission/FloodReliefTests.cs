using Overlay.Transport.Admission;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tests.Quic;

namespace Overlay.Transport.Tests.Admission;

public sealed class FloodReliefTests
{
    private readonly VirtualTimeProvider _clock = new();
    private readonly RecordingLogger _log = new();
    private int _pending;
    private int _relieved;

    [Fact]
    public void Left_NothingPendingAfterAFlood_RelievesOnceAfterTheQuietPeriod()
    {
        using var relief = Relief(floodMark: 100);
        Flood(relief, 150);

        _clock.Advance(FloodRelief.QuietPeriod - TimeSpan.FromTicks(1));
        Assert.Equal(0, _relieved);
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, _relieved);
        Assert.Contains("flood of up to 150", Assert.Single(_log.Entries).Message, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, _relieved);
    }

    [Fact]
    public void Left_BelowTheMark_NeverRelieves()
    {
        using var relief = Relief(floodMark: 100);
        Flood(relief, 99);
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, _relieved);
    }

    [Fact]
    public void OnQuiet_BusyAgainWhenTheQuietPeriodEnds_WaitsForTheNextCalm()
    {
        using var relief = Relief(floodMark: 10);
        Flood(relief, 20);
        _clock.Advance(FloodRelief.QuietPeriod / 2);
        _pending = 3;
        relief.Admitted(3);
        _clock.Advance(FloodRelief.QuietPeriod);
        Assert.Equal(0, _relieved);

        _pending = 0;
        relief.Left(0);
        _clock.Advance(FloodRelief.QuietPeriod);
        Assert.Equal(1, _relieved);
    }

    [Fact]
    public void Flood_RepeatedWithinAMinute_IsRelievedAtMostOncePerMinimumInterval()
    {
        using var relief = Relief(floodMark: 10);
        Flood(relief, 20);
        _clock.Advance(FloodRelief.QuietPeriod);
        Assert.Equal(1, _relieved);

        Flood(relief, 20);
        _clock.Advance(FloodRelief.QuietPeriod);
        Assert.Equal(1, _relieved);
        _clock.Advance(FloodRelief.MinimumInterval - FloodRelief.QuietPeriod - TimeSpan.FromTicks(1));
        Assert.Equal(1, _relieved);
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, _relieved);
    }

    private FloodRelief Relief(int floodMark) => new(floodMark, _clock, _log, () => _pending, () => _relieved++);

    private void Flood(FloodRelief relief, int peak)
    {
        for (_pending = 1; _pending <= peak; _pending++)
        {
            relief.Admitted(_pending);
        }

        for (_pending = peak - 1; _pending >= 0; _pending--)
        {
            relief.Left(_pending);
        }

        _pending = 0;
    }
}
