using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Overlay.Node.Composition;

namespace Overlay.Node.Hosting;

/// <summary>
/// Runs the daemon's <see cref="OverlayNode"/> in the host: starts it with the host and stops it with
/// the host. A loop that fails (a bug) is logged as critical and stops the daemon, as a failed background
/// service would.
/// </summary>
internal sealed class OverlayNodeHostedService(OverlayNode node, IHostApplicationLifetime lifetime, ILogger<OverlayNodeHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await node.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = WatchAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => node.StopAsync(cancellationToken);

    private async Task WatchAsync()
    {
        try
        {
            await node.Running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
#pragma warning disable CA1031 // Whatever a loop threw is a bug: say so and stop the daemon rather than run without the loop.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.NodeLoopFailed(logger, e);
            lifetime.StopApplication();
        }
    }
}
