using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Control;

/// <summary>Runs the <see cref="ControlServer"/> for the node's lifetime, when <see cref="ControlOptions.Enabled"/>.</summary>
public sealed class ControlService(
    IOptions<ControlOptions> options,
    IOptions<DhtOptions> dhtOptions,
    IOptions<NodeOptions> nodeOptions,
    DhtService dht,
    ShardExchangeService shards,
    Overlay.Node.Reachability.ReachabilityService reachability,
    NodeRunInfo runInfo,
    NodeStatus status,
    TimeProvider time,
    IMeterFactory meterFactory,
    ILogger<ControlService> logger) : IHostedService, IAsyncDisposable
{
    private ControlServer? _server;

    /// <summary>The running server; null when disabled or stopped.</summary>
    public ControlServer? Server => _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var commands = new NodeControlCommands(
            new DhtControlCommands(dht, dhtOptions.Value, options.Value, nodeOptions.Value, time, status.Snapshot), new ShardControlCommands(shards, options.Value, time),
            new ReachabilityControlCommands(reachability, options.Value, time));
        // A request carries a DHT value or a whole shard, whichever this node allows to be larger.
        var maxRequestBytes = ControlProtocol.MaxRequestBytes(Math.Max(dhtOptions.Value.MaxValueBytes, shards.MaxShardBytes));
        var server = new ControlServer(options.Value, runInfo.DataDirectory, commands, maxRequestBytes,
            time, meterFactory.Create(ControlServer.MeterName), logger);
        try
        {
            server.Start();
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _server = server;
        var detail = server.Endpoint is UnixDomainSocketEndPoint ? $"{ControlFiles.UnixPrefix}{server.Endpoint}" : $"{server.Endpoint}";
        Log.ComponentStarted(logger, "control API", detail);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
