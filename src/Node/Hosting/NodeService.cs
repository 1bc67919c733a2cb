using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Configuration;

namespace Overlay.Node.Hosting;

/// <summary>The node's lifecycle: announces the identity when starting, says when everything runs, and when it stops.</summary>
internal sealed class NodeService(
    NodeIdentityHolder identity,
    NodeRunInfo runInfo,
    IOptions<NodeOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<NodeService> logger) : IHostedService
{
    private readonly string _peerId = identity.Identity.PeerId.ToString();

    public Task StartAsync(CancellationToken cancellationToken)
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
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Log.Stopping(logger, _peerId);
        return Task.CompletedTask;
    }
}
