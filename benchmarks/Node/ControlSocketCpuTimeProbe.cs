using System.Diagnostics;
using System.Globalization;
using Overlay.Node.Configuration;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// <see cref="ControlSocketBenchmarks"/> timed by process CPU time (all threads, user + kernel: client
/// and server are both in this process) and by the wall clock, the Unix socket and loopback TCP taking
/// turns round by round so both see the same load; the median of the rounds. On a host whose two cores
/// are shared with other jobs the wall clock mostly measures the wait for a core. Run with <c>control-cpu</c>.
/// </summary>
public static class ControlSocketCpuTimeProbe
{
    private const int Rounds = 9;
    private const int RoundTripsPerRound = 4000;
    private const int ConnectsPerRound = 500;

    public static void Run(TextWriter output)
    {
        var kinds = new[] { ControlSocket.Unix, ControlSocket.Tcp };
        var benches = kinds.Select(k => new ControlSocketBenchmarks { Socket = k }).ToArray();
        var samples = kinds.ToDictionary(k => k, _ => (RoundTripCpu: new List<double>(), RoundTripWall: new List<double>(), ConnectCpu: new List<double>(), ConnectWall: new List<double>()));
        foreach (var bench in benches)
        {
            bench.Setup();
        }

        try
        {
            var process = Process.GetCurrentProcess();
            for (var round = 0; round < Rounds + 1; round++)
            {
                foreach (var bench in benches)
                {
                    var (cpu, wall) = Measure(process, RoundTripsPerRound, () => bench.RoundTrip());
                    var (connectCpu, connectWall) = Measure(process, ConnectsPerRound, () => bench.ConnectRoundTripClose());
                    if (round == 0)
                    {
                        continue; // warm-up
                    }

                    var s = samples[bench.Socket];
                    s.RoundTripCpu.Add(cpu);
                    s.RoundTripWall.Add(wall);
                    s.ConnectCpu.Add(connectCpu);
                    s.ConnectWall.Add(connectWall);
                }
            }
        }
        finally
        {
            foreach (var bench in benches)
            {
                bench.Cleanup();
            }
        }

        foreach (var kind in kinds)
        {
            var s = samples[kind];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kind,-4}  round trip: {Median(s.RoundTripCpu),6:F1} µs CPU, {Median(s.RoundTripWall),6:F1} µs wall;  connect + round trip + close: {Median(s.ConnectCpu),6:F1} µs CPU, {Median(s.ConnectWall),6:F1} µs wall  (medians of {Rounds} rounds)"));
        }
    }

    private static (double CpuMicroseconds, double WallMicroseconds) Measure(Process process, int count, Func<Task> operation)
    {
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            operation().GetAwaiter().GetResult();
        }

        wall.Stop();
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMicroseconds / count, wall.Elapsed.TotalMicroseconds / count);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
