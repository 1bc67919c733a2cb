namespace Overlay.Dht.Tests;

public class DhtOptionsTests
{
    [Fact]
    public void Validate_Defaults_HasNoProblems()
    {
        var options = new DhtOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(20, options.K);
        Assert.Equal(3, options.Alpha);
        Assert.Equal(65536, options.MaxValueBytes);
        Assert.True(options.PreferLowLatency);
    }

    [Fact]
    public void Validate_BadValues_OneSentenceEachNamingKeyValueAndRange()
    {
        var options = new DhtOptions { K = 0, Alpha = 50, RequestTimeout = TimeSpan.Zero, MaxRequestsPerPeerPerSecond = double.NaN };
        var problems = options.Validate();
        Assert.Equal(4, problems.Count);
        Assert.Contains("Dht:K is 0; it must be between 1 and 256.", problems);
        Assert.Contains(problems, p => p.StartsWith("Dht:Alpha is 50;", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Dht:RequestTimeout is 00:00:00;", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Dht:MaxRequestsPerPeerPerSecond is NaN;", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => options.EnsureValid());
    }

    [Fact]
    public void Validate_RepublishLongerThanTtl_IsAProblem()
    {
        var options = new DhtOptions { RepublishInterval = TimeSpan.FromHours(25) };
        Assert.Single(options.Validate(), p => p.StartsWith("Dht:RepublishInterval", StringComparison.Ordinal));
    }
}
