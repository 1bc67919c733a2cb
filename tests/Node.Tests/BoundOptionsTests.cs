using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests;

public sealed class BoundOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-bound").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Build_FromBoundOptions_ServesTheSameObjectsWithTheirConfiguredValues()
    {
        var config = Path.Combine(_dir, "given.json");
        File.WriteAllText(config, """{ "Dht": { "K": 12 }, "Transport": { "KeepAliveInterval": "00:00:17" }, "Storage": { "Directory": "shards-here" }, "Metrics": { "Listen": "" } }""");
        var settings = NodeSettings.Load(_dir, config, new Dictionary<string, string?>(), ["tcp://127.0.0.1:0"], [], _ => null);
        var options = BoundOptions.Bind(settings);
        Assert.Empty(options.Problems);
        Assert.Equal(12, options.Dht.K);
        Assert.Equal(TimeSpan.FromSeconds(17), options.Transport.KeepAliveInterval);
        Assert.Equal(["tcp://127.0.0.1:0"], options.Transport.ListenAddresses);

        using var identity = new NodeIdentityHolder(NodeIdentity.Generate(), createdThisStart: true);
        using var host = NodeHostFactory.Build(settings, options, identity, logging => { });

        // Bound once: the host hands out the very objects that were checked, not a second binding.
        Assert.Same(options.Dht, host.Services.GetRequiredService<IOptions<DhtOptions>>().Value);
        Assert.Same(options.Transport, host.Services.GetRequiredService<IOptions<TransportOptions>>().Value);
        var storage = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Same(options.Storage, storage);
        Assert.Equal(Path.Combine(_dir, "shards-here"), storage.Directory);
        Assert.Equal(TimeSpan.FromSeconds(new NodeOptions().ShutdownTimeoutSeconds),
            host.Services.GetRequiredService<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void Build_OptionsWithProblems_RefusesToBuildAndNamesEveryProblem()
    {
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, """{ "Dht": { "K": 0 }, "Node": { "ShutdownTimeoutSeconds": 0 } }""");
        var settings = NodeSettings.Load(_dir, config, new Dictionary<string, string?>(), _ => null);
        var options = BoundOptions.Bind(settings);
        Assert.Equal(2, options.Problems.Count);

        using var identity = new NodeIdentityHolder(NodeIdentity.Generate(), createdThisStart: true);
        var refused = Assert.Throws<OptionsValidationException>(() => NodeHostFactory.Build(settings, options, identity, logging => { }));
        Assert.Equal(options.Problems, refused.Failures);
    }

    [Fact]
    public void BindStrict_AClassThatIsNotAnOptionsSection_IsRefused()
    {
        var settings = NodeSettings.Load(_dir, null, new Dictionary<string, string?>(), _ => null);
        Assert.Throws<ArgumentException>(() => OptionsRegistration.BindStrict(settings.Configuration.GetSection("Dht"), new object()));
    }
}
