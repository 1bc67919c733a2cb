using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Configuration;

namespace Overlay.Node.Hosting;

/// <summary>The node's lifecycle: announces the identity and what it starts, and stays up until stopped.</summary>
internal sealed class NodeService(
    NodeIdentityHolder identity,
    NodeRunInfo runInfo,
    IOptions<NodeOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<NodeService> logger) : BackgroundService
{
    private readonly string _peerId = identity.Identity.PeerId.ToString();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var peerId = _peerId;
        if (identity.CreatedThisStart)
        {
            Log.IdentityCreated(logger, peerId, runInfo.KeyFilePath);
        }

        if (identity.MigratedFrom is { } previous)
        {
            Log.IdentityMigrated(logger, runInfo.KeyFilePath, previous.ToString(), peerId);
        }

        Log.Starting(logger, peerId, runInfo.DataDirectory);
        foreach (var key in runInfo.UnknownKeys)
        {
            Log.UnknownConfigKey(logger, key);
        }

        var region = options.Value.Region.Length == 0 ? "none" : options.Value.Region;
        var detail = $"PeerId {peerId}, region hint {region}";
        Log.ComponentStarted(logger, "identity", detail);

        // "running" is said once every component has started, so scripts can wait for it.
        lifetime.ApplicationStarted.Register(() => Log.Running(logger, _peerId));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.Stopping(logger, _peerId);
        }
    }
}
