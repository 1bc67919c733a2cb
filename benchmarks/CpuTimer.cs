using System.Diagnostics;

namespace Overlay.Benchmarks;

/// <summary>
/// Batch timing for the probes that compare two implementations on a shared host: by process CPU time
/// (time spent descheduled behind other processes is not counted) or by wall clock, with the two sides
/// taking turns batch by batch so both see the same load.
/// </summary>
internal static class CpuTimer
{
    /// <summary>Nanoseconds per call of <paramref name="action"/> over one batch of <paramref name="iterations"/> calls.</summary>
    public static double PerCall(Action action, int iterations, bool useCpuTime = true)
    {
        var (cpu, wall) = Measure(() =>
        {
            for (var i = 0; i < iterations; i++)
            {
                action();
            }
        });
        return 1000 * (useCpuTime ? cpu : wall) / iterations;
    }

    /// <summary>Microseconds of process CPU time (all threads, user + kernel) and of wall clock for one call of <paramref name="action"/>.</summary>
    public static (double CpuMicroseconds, double WallMicroseconds) Measure(Action action)
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        action();
        var wall = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMicroseconds, wall.TotalMicroseconds);
    }

    /// <summary>
    /// <paramref name="batches"/> batches of each side, alternating (and alternating which goes first), after
    /// one warm-up batch each; nanoseconds per call for every batch.
    /// </summary>
    public static (double[] First, double[] Second) Alternate(Action first, Action second, int iterations, int batches, bool useCpuTime = true)
    {
        PerCall(first, iterations, useCpuTime);
        PerCall(second, iterations, useCpuTime);
        var a = new double[batches];
        var b = new double[batches];
        for (var batch = 0; batch < batches; batch++)
        {
            if (batch % 2 == 0)
            {
                a[batch] = PerCall(first, iterations, useCpuTime);
                b[batch] = PerCall(second, iterations, useCpuTime);
            }
            else
            {
                b[batch] = PerCall(second, iterations, useCpuTime);
                a[batch] = PerCall(first, iterations, useCpuTime);
            }
        }

        return (a, b);
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
