using System.Diagnostics;
using System.Globalization;
using Overlay.Erasure.Kernels;

namespace Overlay.Benchmarks.Erasure;

/// <summary>
/// Single-thread Reed–Solomon throughput by process CPU time (all threads, user + kernel), so time
/// spent waiting for a core on a shared host is not counted: encoding a 10+4 stripe, and rebuilding
/// 4 lost data shards from the 10 that remain, at 64 KiB and 1 MiB shards, in GB/s of data
/// (10⁹ bytes of the k data shards per second). Each figure is the median of 9 batches of about
/// 50 ms. The shards lie in one buffer, 64 bytes apart ("gap 64") or back to back ("gap 0"): back to
/// back, power-of-two shards start at addresses that map to the same cache sets, which slows the
/// kernels down, so both are shown. <c>erasure-cpu</c> runs every kernel this processor supports and
/// prints a table, then other codes on the default kernel; <c>erasure-cpu tsv</c> runs the default
/// kernel only and prints one tab-separated line per figure, the format scripts/erasure-anchor.sh
/// pairs with the Go library's.
/// </summary>
public static class ErasureCpuTimeProbe
{
    private const int Batches = 9;
    private const int DataShards = 10;
    private const int ParityShards = 4;
    private static readonly int[] ShardSizes = [64 * 1024, 1024 * 1024];
    private static readonly int[] Gaps = [64, 0];

    public static void Run(TextWriter output, bool tsv)
    {
        var kernels = tsv ? [GfKernels.Best] : GfKernels.All.Where(GfKernels.IsSupported).Reverse().ToArray();
        if (!tsv)
        {
            output.WriteLine($"| Kernel | Operation | Shard | Gap | GB/s (median of {Batches}) | best | worst |");
            output.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        }

        foreach (var kernel in kernels)
        {
            foreach (var shardBytes in ShardSizes)
            {
                foreach (var gap in Gaps)
                {
                    var workload = new ErasureWorkload(kernel, DataShards, ParityShards, shardBytes, gap, lostDataShards: ParityShards);
                    Report(output, tsv, kernel, "encode", shardBytes, gap, Measure(workload.DataBytes, workload.Encode));
                    Report(output, tsv, kernel, "reconstruct-4-data", shardBytes, gap, Measure(workload.DataBytes, workload.ReconstructData));
                    if (!workload.DataIntact())
                    {
                        throw new InvalidOperationException($"{kernel}: the rebuilt stripe differs from the encoded one");
                    }
                }
            }
        }

        if (!tsv)
        {
            OtherCodes(output);
        }
    }

    // Codes other than 10+4 on the default kernel: each rebuild loses m data shards (all of them when m ≥ k).
    private static void OtherCodes(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"| Code | Shard | Gap | Encode GB/s (median of {Batches}) | Rebuild m data shards GB/s |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (k, m) in new[] { (4, 2), (6, 3), (10, 4), (12, 8), (20, 10), (64, 64), (128, 128) })
        {
            var workload = new ErasureWorkload(GfKernels.Best, k, m, 64 * 1024, 64, lostDataShards: Math.Min(k, m));
            var encode = Median(Measure(workload.DataBytes, workload.Encode));
            var rebuild = Median(Measure(workload.DataBytes, workload.ReconstructData));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {k}+{m} | 64 KiB | 64 | {encode:F2} | {rebuild:F2} |"));
        }
    }

    private static double Median(double[] rates)
    {
        Array.Sort(rates);
        return rates[rates.Length / 2];
    }

    private static void Report(TextWriter output, bool tsv, GfKernel kernel, string operation, int shardBytes, int gap, double[] rates)
    {
        var median = Median(rates);
        if (tsv)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dotnet\t{operation}\t{DataShards}+{ParityShards}\t{shardBytes}\t{gap}\t{median:F2}"));
        }
        else
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kernel} | {operation} | {shardBytes / 1024} KiB | {gap} | {median:F2} | {rates[^1]:F2} | {rates[0]:F2} |"));
        }
    }

    // GB/s of data per batch. The first batch sizes the others to about 50 ms of CPU time each.
    private static double[] Measure(long dataBytes, Action operation)
    {
        for (var i = 0; i < 20; i++)
        {
            operation();
        }

        using var process = Process.GetCurrentProcess();
        var iterations = 16;
        var seconds = CpuSeconds(process, operation, iterations);
        iterations = (int)Math.Clamp(iterations * 0.05 / Math.Max(seconds, 1e-6), 1, 1_000_000);
        var rates = new double[Batches];
        for (var b = 0; b < Batches; b++)
        {
            rates[b] = dataBytes * (double)iterations / CpuSeconds(process, operation, iterations) / 1e9;
        }

        return rates;
    }

    private static double CpuSeconds(Process process, Action operation, int iterations)
    {
        process.Refresh();
        var start = process.TotalProcessorTime;
        for (var i = 0; i < iterations; i++)
        {
            operation();
        }

        process.Refresh();
        return (process.TotalProcessorTime - start).TotalSeconds;
    }
}
