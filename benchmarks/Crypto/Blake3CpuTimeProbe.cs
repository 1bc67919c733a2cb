using System.Diagnostics;
using Overlay.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// A second view of single-thread BLAKE3 throughput for shared, oversubscribed hosts: it times batches
/// by the process's CPU time rather than the wall clock, so time spent descheduled behind other
/// processes is not counted, and keeps the best of 15 batches. Run with <c>blake3-cpu</c>.
/// </summary>
public static class Blake3CpuTimeProbe
{
    public static void Run(TextWriter output)
    {
        var digest = new byte[Blake3.HashSize];
        output.WriteLine("| Size | Path | ns/op (CPU time, best of 15) | GB/s |");
        output.WriteLine("|---:|---|---:|---:|");
        foreach (var size in new[] { 64, 1024, 65536, 1 << 20, 16 << 20 })
        {
            var input = new byte[size];
            new Random(1).NextBytes(input);
            foreach (var path in Blake3Benchmarks.Paths())
            {
                // About 20 MB of input per batch, so each batch lasts far longer than the clock's resolution.
                var iterations = (int)Math.Max(2, 20_000_000L / Math.Max(size, 256));
                for (var i = 0; i < 3 * iterations; i++)
                {
                    Blake3.Hash(input, digest, path);
                }

                var best = double.MaxValue;
                using var process = Process.GetCurrentProcess();
                for (var batch = 0; batch < 15; batch++)
                {
                    process.Refresh();
                    var start = process.TotalProcessorTime;
                    for (var i = 0; i < iterations; i++)
                    {
                        Blake3.Hash(input, digest, path);
                    }

                    process.Refresh();
                    best = Math.Min(best, (process.TotalProcessorTime - start).TotalNanoseconds / iterations);
                }

                output.WriteLine($"| {size} | {path} | {best:F1} | {size / best:F2} |");
            }
        }
    }
}
