namespace Overlay.Transport.Tests;

public sealed class TransportOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid()
    {
        var options = new TransportOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(1000, options.MaxConnections);
        Assert.Equal(TimeSpan.FromMinutes(10), options.IdleTimeout);
        Assert.Equal(64, options.PoolHighWatermark);
        Assert.Equal(32, options.PoolLowWatermark);
        Assert.Equal(TimeSpan.FromSeconds(30), options.PoolGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(10), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.BatchWindow);
        Assert.Equal(65536, options.MaxBatchBytes);
        Assert.Equal(65536, options.StreamWindowBytes);
        Assert.Equal(16 << 20, options.BulkStreamWindowMaxBytes);
        Assert.Equal(["tcp://0.0.0.0:4001"], options.ListenAddresses);
    }

    [Fact]
    public void Validate_BadValues_NameKeyValueAndAllowedRange()
    {
        var options = new TransportOptions
        {
            MaxConnections = 0,
            BatchWindow = TimeSpan.FromSeconds(5),
            ListenAddresses = ["tcp://localhost:1"],
            BootstrapPeers = ["tcp://127.0.0.1:0"],
            MsQuicLibraryPath = "/nonexistent/libmsquic.so",
            StreamWindowBytes = 100_000,
        };

        var failures = options.Validate();
        Assert.Contains(failures, f => f.StartsWith("Transport:MaxConnections is 0; allowed is 1 to 1000000", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Transport:BatchWindow is 00:00:05; allowed is", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Transport:ListenAddresses:0 is invalid", StringComparison.Ordinal) && f.Contains("host names", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Transport:BootstrapPeers:0 is 'tcp://127.0.0.1:0'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Transport:MsQuicLibraryPath is '/nonexistent/libmsquic.so'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Transport:StreamWindowBytes is 100000; allowed is a power of two from 65536 to 67108864", StringComparison.Ordinal));
        Assert.Equal(6, failures.Count);
    }

    [Theory]
    [InlineData(nameof(TransportOptions.MaxConnectionsPerPrivateAddress), 0, "allowed is 1 to 1000000")]
    [InlineData(nameof(TransportOptions.MaxConnectionsPerLoopbackAddress), 1_000_001, "allowed is 1 to 1000000")]
    [InlineData(nameof(TransportOptions.MaxPendingHandshakes), 0, "allowed is 1 to 65536")]
    [InlineData(nameof(TransportOptions.MaxPendingHandshakes), 65537, "allowed is 1 to 65536")]
    public void Validate_ConnectionLimitOutOfRange_NamesKeyAndRange(string key, int value, string allowed)
    {
        var options = new TransportOptions();
        typeof(TransportOptions).GetProperty(key)!.SetValue(options, value);
        var failure = Assert.Single(options.Validate());
        Assert.Equal($"Transport:{key} is {value}; {allowed}.", failure);
    }

    [Theory]
    [InlineData(0, 0, 30, "Transport:PoolHighWatermark is 0; allowed is 1 to 1000000.")]
    [InlineData(1_000_001, 32, 30, "Transport:PoolHighWatermark is 1000001; allowed is 1 to 1000000.")]
    [InlineData(64, -1, 30, "Transport:PoolLowWatermark is -1; allowed is 0 to 1000000.")]
    [InlineData(64, 32, 0, "Transport:PoolGracePeriod is 00:00:00; allowed is 00:00:01 to 01:00:00.")]
    public void Validate_PoolWatermarksOutOfRange_NameKeyValueAndRange(int high, int low, int graceSeconds, string expected)
    {
        var options = new TransportOptions { PoolHighWatermark = high, PoolLowWatermark = low, PoolGracePeriod = TimeSpan.FromSeconds(graceSeconds) };
        Assert.Equal(expected, Assert.Single(options.Validate()));
    }

    [Theory]
    [InlineData(65536, 32768)]
    [InlineData(65536, 100_000)]
    [InlineData(65536, 128 << 20)]
    public void Validate_BulkStreamWindowMaxOutOfRange_NamesKeyValueAndAllowed(int initial, int max)
    {
        var options = new TransportOptions { StreamWindowBytes = initial, BulkStreamWindowMaxBytes = max };
        var failure = Assert.Single(options.Validate());
        Assert.Equal($"Transport:BulkStreamWindowMaxBytes is {max}; allowed is a power of two from 65536 to 67108864 (at most Transport:StreamWindowBytes: fixed windows).", failure);
    }

    [Theory]
    [InlineData(65536, 65536)]
    [InlineData(262144, 131072)]
    [InlineData(1 << 20, 64 << 20)]
    public void Validate_BulkStreamWindowMaxInRange_IsValid(int initial, int max)
        => Assert.Empty(new TransportOptions { StreamWindowBytes = initial, BulkStreamWindowMaxBytes = max }.Validate());
}
