namespace Overlay.Node.Composition;

/// <summary>
/// One part of a node (shard store, transport, DHT, …) as <see cref="OverlayNode"/> runs it: started in
/// order, its loops run on the caller's context until the stopping token fires, stopped in reverse order.
/// Unlike a hosted <c>BackgroundService</c> (whose loop the host starts on the thread pool), the loop runs
/// wherever the node is driven from, so a simulated node stays on the simulator's one deterministic scheduler.
/// Parts therefore await with <c>ConfigureAwait(true)</c>: continuations go back to the context that started
/// the node (the simulator's scheduler; none in the daemon, where that is the thread pool anyway). With
/// <c>ConfigureAwait(false)</c>, anything that completes its awaiters asynchronously by design (a
/// <see cref="PeriodicTimer"/> tick, a channel read, a task completion source made with
/// <c>RunContinuationsAsynchronously</c>) resumes the loop on the thread pool, outside the scheduler, and
/// everything the loop calls from there runs off virtual time's order.
/// </summary>
public interface INodePart
{
    /// <summary>Opens what the part needs before the node serves anyone; a failure stops the node from starting.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The part's long-running loops, on the injected clock; completes when <paramref name="stoppingToken"/>
    /// fires. A failed iteration is survived inside; an exception escaping here is a bug and stops the node.
    /// </summary>
    Task RunAsync(CancellationToken stoppingToken);

    /// <summary>Closes what <see cref="StartAsync"/> opened, after <see cref="RunAsync"/> has returned.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
