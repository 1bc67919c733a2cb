using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Tests.Metrics;

public sealed class MetricsOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("0.0.0.0:1", "0.0.0.0", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData("[::]:9100", "::", 9100)]
    public void TryParseListen_Valid_SplitsHostAndPort(string text, string host, int port)
    {
        Assert.True(MetricsOptions.TryParseListen(text, out var address, out var parsed));
        Assert.Equal(host, address.ToString());
        Assert.Equal(port, parsed);
        Assert.Empty(new MetricsOptions { Listen = text }.Validate());
    }

    [Theory]
    [InlineData("9464")]
    [InlineData(":9464")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:+80")]
    [InlineData("localhost:9464")]
    [InlineData("::1:9464")]
    [InlineData("[::1:9464")]
    [InlineData("http://127.0.0.1:9464/")]
    [InlineData("127.0.0.1:9464 ")]
    public void Validate_Malformed_IsOneSentenceNamingTheKey(string text)
    {
        var problem = Assert.Single(new MetricsOptions { Listen = text }.Validate());
        Assert.StartsWith("'Metrics:Listen' is '", problem, StringComparison.Ordinal);
        Assert.Contains("HOST:PORT", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseListen_SeededRandomText_NeverThrowsAndAcceptsOnlyPorts1To65535()
    {
        var random = new Random(19);
        const string alphabet = "0123456789.:[]abcdef:x -+/%";
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 24)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            var text = new string(chars);
            if (MetricsOptions.TryParseListen(text, out _, out var port))
            {
                Assert.InRange(port, 1, 65535);
                Assert.Empty(new MetricsOptions { Listen = text }.Validate());
            }
            else if (text.Length > 0)
            {
                Assert.Single(new MetricsOptions { Listen = text }.Validate());
            }
        }
    }

    [Fact]
    public void Validate_BadListenInConfiguration_IsReportedBeforeStart()
    {
        var dir = Directory.CreateTempSubdirectory("overlay-metrics-config").FullName;
        try
        {
            var settings = NodeSettings.Load(dir, null, new Dictionary<string, string?> { ["Metrics:Listen"] = "everywhere" }, _ => null);
            var problem = Assert.Single(NodeHostFactory.Validate(settings));
            Assert.StartsWith("'Metrics:Listen' is 'everywhere'", problem, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
