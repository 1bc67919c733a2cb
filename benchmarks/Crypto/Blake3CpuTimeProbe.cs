using Overlay.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// A second view of BLAKE3 throughput for shared, oversubscribed hosts: it times batches by the
/// process's CPU time rather than the wall clock, so time spent descheduled behind other processes is
/// not counted. Single-thread rows keep the best and the median of 15 batches; the multi-threaded rows
/// (the package's <c>UpdateWithJoin</c>) give wall clock and CPU time per hash, the one-thread one-shot
/// of the same input alternating with them. Run with <c>blake3-cpu</c>.
/// </summary>
public static class Blake3CpuTimeProbe
{
    private const int Batches = 15;

    public static void Run(TextWriter output)
    {
        var digest = new byte[Blake3.HashSize];
        output.WriteLine("| Size | ns/op (CPU time, best of 15) | median | GB/s (best) |");
        output.WriteLine("|---:|---:|---:|---:|");

        // 1,985 B is a hybrid identity's encoded public key, which a PeerId hashes.
        foreach (var size in new[] { 64, 1024, 1985, 65536, 1 << 20, 16 << 20 })
        {
            var input = new byte[size];
            new Random(1).NextBytes(input);

            // About 20 MB of input per batch, so each batch lasts far longer than the clock's resolution.
            var iterations = (int)Math.Max(2, 20_000_000L / Math.Max(size, 256));
            Action hash = () => Blake3.Hash(input, digest);
            CpuTimer.PerCall(hash, 3 * iterations);
            var times = new double[Batches];
            for (var batch = 0; batch < Batches; batch++)
            {
                times[batch] = CpuTimer.PerCall(hash, iterations);
            }

            output.WriteLine($"| {Size(size)} | {times.Min():N1} | {CpuTimer.Median(times):N1} | {size / times.Min():F2} |");
        }

        output.WriteLine();
        output.WriteLine($"| Size | one thread, wall | UpdateWithJoin ({Environment.ProcessorCount} processors), wall | one thread, CPU | UpdateWithJoin, CPU | one thread GB/s (wall) | UpdateWithJoin GB/s (wall) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var size in new[] { 16 << 20, 1 << 30 })
        {
            var input = new byte[size];
            new Random(1).NextBytes(input);
            var iterations = size >= 1 << 30 ? 1 : 4;
            Action single = () => Blake3.Hash(input, digest);
            Action joined = () => Blake3ParallelHash.Run(input, digest);
            var (singleWall, joinedWall) = CpuTimer.Alternate(single, joined, iterations, Batches, useCpuTime: false);
            var (singleCpu, joinedCpu) = CpuTimer.Alternate(single, joined, iterations, Batches);
            output.WriteLine($"| {Size(size)} | {Ms(CpuTimer.Median(singleWall))} | {Ms(CpuTimer.Median(joinedWall))} | {Ms(CpuTimer.Median(singleCpu))} | {Ms(CpuTimer.Median(joinedCpu))} | {size / CpuTimer.Median(singleWall):F2} | {size / CpuTimer.Median(joinedWall):F2} |");
        }
    }

    private static string Ms(double ns) => $"{ns / 1_000_000:N2} ms";

    private static string Size(int bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes:N0} B";
}
