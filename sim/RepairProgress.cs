using System.Diagnostics;
using System.Globalization;
using Overlay.Transport.InMemory;

namespace Overlay.Sim;

/// <summary>
/// <c>Overlay.Sim repair --progress SECONDS</c>: one line per interval of virtual time with the run's phase, the process's
/// memory (managed heap and resident set) and what the nodes keep open that grows with the network's size (connections,
/// timers on the virtual clock, probes and repairs so far), so a run's memory can be followed over its phases.
/// </summary>
internal static class RepairProgress
{
    public static async Task RunAsync(WholeNodeNetwork whole, InMemoryNetwork net, TimeSpan interval, Func<string> phase, Stopwatch wall, TextWriter output, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(interval, net.Clock, stop);
                long connections = 0, probes = 0, onClose = 0, repairsStarted = 0, repairsEnded = 0;
                for (var i = 0; i < whole.Nodes.Length; i++)
                {
                    connections += whole.Transports[i]?.ConnectionCount ?? 0;
                    var metrics = whole.Nodes[i].ShardExchange.Metrics;
                    probes += metrics.ProbesSent;
                    onClose += metrics.ProbesOnClose;
                    repairsStarted += metrics.RepairsStarted;
                    repairsEnded += metrics.RepairsFinished + metrics.RepairsFailed;
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"progress {net.Clock.Elapsed.TotalSeconds:F0} s virtual, {wall.Elapsed.TotalSeconds:F0} s wall, {phase()}: heap {GC.GetTotalMemory(false) >> 20} MiB, resident {Environment.WorkingSet >> 20} MiB; {connections} connection ends open; timers {net.Clock.PendingTimers} armed, {net.Clock.QueuedTimers} queued; probes {probes} ({onClose} on close); repairs {repairsStarted} started, {repairsEnded} ended"));
                output.Flush();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
