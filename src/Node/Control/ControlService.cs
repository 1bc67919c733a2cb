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
    NodeRunInfo runInfo,
    TimeProvider time,
    IMeterFactory meterFactory,
    ILogger<ControlService> logger) : IHostedService, IAsyncDisposable
{
    private ControlServer? _server;

    /// <summary>The running server; null when disabled or stopped.</summary>
    public ControlServer? Server => _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return Task.CompletedTask;
        }

        var commands = new DhtControlCommands(dht, dhtOptions.Value, options.Value, nodeOptions.Value, time);
        var server = new ControlServer(options.Value, runInfo.DataDirectory, commands, ControlProtocol.MaxRequestBytes(dhtOptions.Value.MaxValueBytes),
            time, meterFactory.Create(ControlServer.MeterName), logger);
        try
        {
            server.Start();
        }
        catch (SocketException e)
        {
            throw new ControlStartException($"The control API cannot listen on 127.0.0.1:{options.Value.Port} ({e.SocketErrorCode}); set Control:Port to a free port or 0.", e);
        }

        _server = server;
        var detail = $"127.0.0.1:{server.Endpoint!.Port}";
        Log.ComponentStarted(logger, "control API", detail);
        return Task.CompletedTask;
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
