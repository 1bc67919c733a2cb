using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-config").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EmbeddedDefaults_EqualOptionsClassDefaults_ForEverySection()
    {
        var configuration = ConfigurationSources.Build(null, null, new Dictionary<string, string?>(), NodeHostFactory.Sections);
        foreach (var (section, type) in NodeHostFactory.Sections)
        {
            var bound = Activator.CreateInstance(type)!;
            OptionsRegistration.BindStrict(configuration.GetSection(section), bound);
            var fresh = Activator.CreateInstance(type)!;
            Assert.Equal(JsonSerializer.Serialize(fresh, type), JsonSerializer.Serialize(bound, type));
        }
    }

    [Fact]
    public void EmbeddedDefaults_HaveNoUnknownKeysAndNoProblems()
    {
        var configuration = ConfigurationSources.Build(null, null, new Dictionary<string, string?>(), NodeHostFactory.Sections);
        Assert.Empty(UnknownKeys.Find(configuration, NodeHostFactory.Sections));
        Assert.Empty(NodeHostFactory.Validate(configuration));
    }

    [Fact]
    public void EmbeddedDefaults_DocumentEveryOptionsProperty()
    {
        var text = ConfigurationSources.EmbeddedDefaults();
        foreach (var (_, type) in NodeHostFactory.Sections)
        {
            foreach (var property in type.GetProperties())
            {
                Assert.Contains($"\"{property.Name}\"", text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("{\"Node\":{\"ShutdownTimeoutSeconds\":0}}", "'Node:ShutdownTimeoutSeconds' is 0; it must be between 1 and 60.")]
    [InlineData("{\"Node\":{\"ShutdownTimeoutSeconds\":\"soon\"}}", "'Node:ShutdownTimeoutSeconds' is the string \"soon\"; it must be a whole number.")]
    [InlineData("{\"Node\":{\"Region\":\"EU West\"}}", "'Node:Region' is 'EU West'; a region uses lowercase letters, digits and '-', at most 64 characters.")]
    [InlineData("{\"Node\":{\"Latitude\":91,\"Longitude\":0}}", "'Node:Latitude' is 91; it must be between -90 and 90 degrees.")]
    [InlineData("{\"Node\":{\"Latitude\":10}}", "set both or neither")]
    [InlineData("{\"Dht\":{\"K\":0}}", "Dht:K is 0; it must be between 1 and 256.")]
    [InlineData("{\"Dht\":{\"RecordTtl\":\"00:00:10\"}}", "Dht:RecordTtl is 00:00:10; it must be between 00:01:00 and 30.00:00:00.")]
    [InlineData("{\"Dht\":{\"RequestTimeout\":\"soon\"}}", "'Dht:RequestTimeout' is 'soon'; it must be a duration such as 00:00:30.")]
    [InlineData("{\"DhtHost\":{\"AnnounceAddress\":\"tcp://203.0.113.7:0\"}}", "'DhtHost:AnnounceAddress' is 'tcp://203.0.113.7:0'; it must name a port other than 0")]
    [InlineData("{\"DhtHost\":{\"AnnounceAddress\":\"example.org\"}}", "'DhtHost:AnnounceAddress' is 'example.org'; it must be a dialable address")]
    [InlineData("{\"DhtHost\":{\"SnapshotInterval\":\"00:00:00\"}}", "'DhtHost:SnapshotInterval' is 00:00:00; it must be between 00:00:01 and 1.00:00:00.")]
    [InlineData("{\"ShardExchange\":{\"ProbationPeriod\":\"-00:00:01\"}}", "'ShardExchange:ProbationPeriod' is '-00:00:01'; it must be between 00:00:00 and 30.00:00:00.")]
    [InlineData("{\"Storage\":{\"MergeThreshold\":0}}", "Storage:MergeThreshold is 0; allowed: 1 to 16777216.")]
    [InlineData("{\"Control\":{\"Port\":70000}}", "'Control:Port' is 70000; it must be between 0 and 65535.")]
    [InlineData("{\"Control\":{\"MaxConnections\":0}}", "'Control:MaxConnections' is 0; it must be between 1 and 1024.")]
    public void Validate_BadValue_NamesKeyValueAndAllowed(string json, string expected)
    {
        var path = Write(json);
        IReadOnlyList<string> problems;
        try
        {
            problems = NodeHostFactory.Validate(ConfigurationSources.Build(null, path, new Dictionary<string, string?>(), NodeHostFactory.Sections));
        }
        catch (ConfigurationException e)
        {
            // A value of the wrong kind stops the load itself.
            problems = [e.Message];
        }

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void BindStrict_ConfiguredList_ReplacesTheDefaultListInsteadOfAppending()
    {
        var path = Write("{\"Transport\":{\"ListenAddresses\":[\"tcp://127.0.0.1:5000\",\"tcp://[::1]:5000\"]}}");
        var configuration = ConfigurationSources.Build(null, path, new Dictionary<string, string?>(), NodeHostFactory.Sections);
        var options = new Overlay.Transport.TransportOptions();
        OptionsRegistration.BindStrict(configuration.GetSection("Transport"), options);
        Assert.Equal(["tcp://127.0.0.1:5000", "tcp://[::1]:5000"], options.ListenAddresses);
    }

    [Fact]
    public void ApplyOverrides_ListenGivenOnCommandLine_ReplacesTheConfiguredList()
    {
        var path = Write("{\"Transport\":{\"ListenAddresses\":[\"tcp://127.0.0.1:5000\",\"tcp://127.0.0.1:5001\"]}}");
        var settings = NodeSettings.Load(_dir, path, new Dictionary<string, string?>(), ["tcp://127.0.0.1:6000"], [], _ => null);
        var options = new Overlay.Transport.TransportOptions();
        OptionsRegistration.BindStrict(settings.Configuration.GetSection("Transport"), options);
        settings.ApplyOverrides(options);
        Assert.Equal(["tcp://127.0.0.1:6000"], options.ListenAddresses);
        Assert.Empty(NodeHostFactory.Validate(settings));
    }

    [Fact]
    public void UnknownKeys_MisspeltKeysAndSections_AreFound()
    {
        var path = Write("{\"Node\":{\"Regoin\":\"x\"},\"Nodes\":{},\"Logging\":{\"LogLevel\":{\"Default\":\"Debug\"}}}");
        var configuration = ConfigurationSources.Build(null, path, new Dictionary<string, string?>(), NodeHostFactory.Sections);
        var unknown = UnknownKeys.Find(configuration, NodeHostFactory.Sections);
        Assert.Contains("Node:Regoin", unknown);
        Assert.DoesNotContain(unknown, k => k.StartsWith("Logging", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1,2]")]
    [InlineData("{\"Node\": }")]
    [InlineData("\"just a string\"")]
    public void Build_MalformedFile_IsConfigurationExceptionNamingTheFile(string json)
    {
        var path = Write(json);
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationSources.Build(null, path, new Dictionary<string, string?>(), NodeHostFactory.Sections));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RandomBytes_OnlyEverConfigurationException()
    {
        var random = new Random(99);
        var valid = System.Text.Encoding.UTF8.GetBytes(ConfigurationSources.EmbeddedDefaults());
        for (var i = 0; i < 500; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
            }
            else
            {
                // Truncations and single-byte mutations of a valid file.
                bytes = valid[..random.Next(0, valid.Length)];
                if (bytes.Length > 0)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            var path = Path.Combine(_dir, "fuzz.json");
            File.WriteAllBytes(path, bytes);
            try
            {
                var configuration = ConfigurationSources.Build(null, path, new Dictionary<string, string?>(), NodeHostFactory.Sections);
                _ = NodeHostFactory.Validate(configuration);
                _ = UnknownKeys.Find(configuration, NodeHostFactory.Sections);
            }
            catch (ConfigurationException)
            {
            }
        }
    }

    [Fact]
    public void Build_OversizedFile_IsRefused()
    {
        var path = Path.Combine(_dir, "big.json");
        File.WriteAllText(path, "{\"Node\":{\"Region\":\"" + new string('a', (int)ConfigurationSources.MaxFileBytes) + "\"}}");
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationSources.Build(null, path, new Dictionary<string, string?>(), NodeHostFactory.Sections));
        Assert.Contains("at most", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DataDirectory_Resolution_FollowsDocumentedOrder()
    {
        Assert.Equal("/a", DataDirectory.Resolve("/a", "/b", _ => "/c"));
        Assert.Equal("/b", DataDirectory.Resolve(null, "/b", _ => "/c"));
        Assert.Equal("/c", DataDirectory.Resolve(null, null, n => n == "OVERLAY_DATA_DIR" ? "/c" : null));
        Assert.Equal("/x/overlay", DataDirectory.Resolve(null, null, n => n == "XDG_DATA_HOME" ? "/x" : null));
        Assert.Equal("/h/.local/share/overlay", DataDirectory.Resolve(null, null, n => n == "HOME" ? "/h" : null));
    }

    private string Write(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }
}
