using System.Diagnostics;
using System.Globalization;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// The FIND_NODE serving run of <see cref="DhtServeBenchmarks"/> timed by process CPU time (all threads,
/// user + kernel) as well as by the wall clock, best of several rounds. On a host whose two cores are
/// shared with other jobs the wall-clock rate mostly measures the wait for a core; CPU time per request
/// is what serving (and, in this process, asking) costs. Run with <c>dht-serve-cpu</c>.
/// </summary>
public static class DhtServeCpuTimeProbe
{
    private const int Rounds = 7;
    private const int InvokesPerRound = 8;

    public static void Run(TextWriter output)
    {
        foreach (var inFlight in (int[])[64, 512])
        {
            var bench = new DhtServeBenchmarks { InFlight = inFlight };
            bench.Setup();
            try
            {
                var bestCpu = double.MaxValue;
                var bestWall = double.MaxValue;
                var process = Process.GetCurrentProcess();
                for (var round = 0; round < Rounds + 1; round++)
                {
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    var wall = Stopwatch.StartNew();
                    for (var i = 0; i < InvokesPerRound; i++)
                    {
                        bench.FindNodeServed().GetAwaiter().GetResult();
                    }

                    wall.Stop();
                    process.Refresh();
                    if (round == 0)
                    {
                        continue; // warm-up
                    }

                    var requests = (double)DhtServeBenchmarks.RequestsPerInvoke * InvokesPerRound;
                    bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalMicroseconds / requests);
                    bestWall = Math.Min(bestWall, wall.Elapsed.TotalMicroseconds / requests);
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"FIND_NODE over loopback TCP+TLS, {inFlight} in flight: {bestCpu:F2} µs CPU per request (client and server) = {1e6 / bestCpu:N0} requests per CPU-second; wall {bestWall:F2} µs = {1e6 / bestWall:N0} requests/s"));
            }
            finally
            {
                bench.Cleanup();
            }
        }
    }
}
