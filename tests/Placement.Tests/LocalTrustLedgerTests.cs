using Overlay.Crypto;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Tests;

public sealed class LocalTrustLedgerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HalfLife = TimeSpan.FromDays(1);
    private static readonly PeerId Self = TestPeers.Id(0);
    private static readonly PeerId A = TestPeers.Id(1);
    private static readonly PeerId B = TestPeers.Id(2);

    [Theory]
    [InlineData(5, 0, 5.0)]
    [InlineData(5, 2, 3.0)]
    [InlineData(2, 5, 0.0)] // floored at zero: more bad than good is no trust, never negative
    [InlineData(0, 1, 0.0)]
    [InlineData(3, 3, 0.0)]
    public void Score_SatisfactoryMinusUnsatisfactory_FlooredAtZero(int good, int bad, double expected)
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        for (var i = 0; i < good; i++)
        {
            ledger.Record(A, true, Start);
        }

        for (var i = 0; i < bad; i++)
        {
            ledger.Record(A, false, Start);
        }

        Assert.Equal(expected, ledger.Score(A, Start), 12);
    }

    [Theory]
    [InlineData(0, 8.0)]
    [InlineData(24, 4.0)]
    [InlineData(48, 2.0)]
    [InlineData(72, 1.0)]
    public void Score_DecaysByHalfEveryHalfLife(int hours, double expected)
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        ledger.Record(A, true, Start, weight: 8);
        Assert.Equal(expected, ledger.Score(A, Start.AddHours(hours)), 9);
    }

    [Fact]
    public void Score_PeerTurnsBadAfterLongGoodService_LosesAllTrustWithinOneHalfLife()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        var t = Start;
        // Twenty days of one good exchange an hour: the decayed good count settles near 24/ln 2 ≈ 35.
        for (var h = 0; h < 20 * 24; h++, t = t.AddHours(1))
        {
            ledger.Record(A, true, t);
        }

        Assert.True(ledger.Score(A, t) > 30);
        var turned = t;
        while (ledger.Score(A, t) > 0)
        {
            ledger.Record(A, false, t);
            t = t.AddHours(1);
        }

        Assert.True(t - turned <= HalfLife + TimeSpan.FromHours(1), $"took {t - turned}");
    }

    [Fact]
    public void Score_ObservationOlderThanTheLast_CountsWithItsOwnDecay()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        ledger.Record(A, true, Start.AddDays(1), weight: 4);
        ledger.Record(A, true, Start, weight: 4); // arrives late: half its weight at the later time
        Assert.Equal(6.0, ledger.Score(A, Start.AddDays(1)), 9);
    }

    [Fact]
    public void ToVector_PeerNeverDealtWith_HasNoEntryAndNoScore()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        ledger.Record(A, true, Start);
        var vector = ledger.ToVector(Start, 10);
        Assert.False(ledger.HasDealtWith(B));
        Assert.Equal(0, ledger.Score(B, Start));
        Assert.Equal(0, vector.ValueOf(B));
        Assert.Equal(1, vector.Count);
    }

    [Fact]
    public void ToVector_OnlyBadPeers_IsEmpty()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        ledger.Record(A, false, Start);
        ledger.Record(B, false, Start);
        Assert.Equal(0, ledger.ToVector(Start, 10).Count);
    }

    [Fact]
    public void Record_Self_IsIgnored()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        ledger.Record(Self, true, Start);
        Assert.Equal(0, ledger.Count);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Record_WeightNotFinitePositive_Throws(double weight)
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.Record(A, true, Start, weight));
    }

    [Fact]
    public void ToVector_RowNormalised_SortedAndKeepsTheHighest()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 1000);
        var peers = TestPeers.Ids(50, first: 10);
        for (var i = 0; i < peers.Length; i++)
        {
            ledger.Record(peers[i], true, Start, weight: i + 1);
        }

        var vector = ledger.ToVector(Start, 10);
        Assert.Equal(10, vector.Count);
        var sum = 0.0;
        for (var i = 0; i < vector.Entries.Length; i++)
        {
            sum += vector.Entries[i].Value;
            Assert.True(i == 0 || vector.Entries[i - 1].Peer < vector.Entries[i].Peer);
        }

        Assert.Equal(1.0, sum, 5);
        // The ten highest scores are 41..50, so c = score / 455.
        Assert.Equal(50.0 / 455, vector.ValueOf(peers[49]), 5);
        Assert.Equal(0, vector.ValueOf(peers[39]));
    }

    [Fact]
    public void Prune_EvidenceDecayedAway_PeerIsForgotten()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 100);
        ledger.Record(A, true, Start);
        Assert.Equal(0, ledger.Prune(Start.AddDays(9)));
        Assert.Equal(1, ledger.Prune(Start.AddDays(11)));
        Assert.False(ledger.HasDealtWith(A));
    }

    [Fact]
    public void Record_LedgerFull_ForgetsThePeerDealtWithLeastRecently()
    {
        var ledger = new LocalTrustLedger(Self, HalfLife, 3);
        var peers = TestPeers.Ids(4, first: 10);
        for (var i = 0; i < 4; i++)
        {
            ledger.Record(peers[i], true, Start.AddMinutes(i));
        }

        Assert.Equal(3, ledger.Count);
        Assert.Equal(1, ledger.Forgotten);
        Assert.False(ledger.HasDealtWith(peers[0]));
        Assert.True(ledger.HasDealtWith(peers[3]));
    }
}
