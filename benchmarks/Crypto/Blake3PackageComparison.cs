extern alias Blake3Package;

using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Own = Overlay.Crypto.Blake3;
using PackageHasher = Blake3Package::Blake3.Hasher;

namespace Overlay.Benchmarks.Crypto;

/// <summary>The project's own BLAKE3 beside the Blake3 package, one-shot on one thread, in one run.</summary>
[MemoryDiagnoser]
public class Blake3PackageComparisonBenchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Own.HashSize];

    [Params(64, 1024, 65536, 1048576, 16777216)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(1).NextBytes(_input);
    }

    [Benchmark(Baseline = true)]
    public void OwnHash() => Own.Hash(_input, _output);

    [Benchmark]
    public void PackageHash() => PackageHasher.Hash(_input, _output);
}

/// <summary>Both multi-threaded paths beside both single-thread one-shots, at 16 MiB and 1 GiB.</summary>
[MemoryDiagnoser]
public class Blake3PackageParallelComparisonBenchmarks
{
    private byte[] _input = [];
    private readonly byte[] _output = new byte[Own.HashSize];

    [Params(16777216, 1073741824)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(1).NextBytes(_input);
    }

    [Benchmark(Baseline = true)]
    public void OwnSingleThread() => Own.Hash(_input, _output);

    [Benchmark]
    public void OwnAllProcessors() => Own.HashParallel(_input, _output, Environment.ProcessorCount);

    [Benchmark]
    public void PackageSingleThread() => PackageHasher.Hash(_input, _output);

    [Benchmark]
    public void PackageUpdateWithJoin()
    {
        using var hasher = PackageHasher.New();
        hasher.UpdateWithJoin(_input);
        hasher.Finalize(_output);
    }
}

/// <summary>
/// The same comparison by process CPU time, for a shared host: own and package alternate batch by
/// batch in one process, so both see the same load. Single-thread rows keep the best and the median
/// of 15 batches; multi-threaded rows give wall clock and CPU time per hash (CPU time then adds up
/// every thread). Run with <c>blake3-compare</c>.
/// </summary>
public static class Blake3PackageComparisonProbe
{
    private const int Batches = 15;

    public static void Run(TextWriter output)
    {
        var digest = new byte[Own.HashSize];
        output.WriteLine("Single thread, one-shot hash (CPU time per hash; best / median of 15 alternating batches):");
        output.WriteLine();
        output.WriteLine("| Size | own best | package best | own median | package median | own GB/s (best) | package GB/s (best) | package / own (best) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        // 1,985 B is a hybrid identity's encoded public key, which a PeerId hashes.
        foreach (var size in new[] { 64, 1024, 1985, 65536, 1 << 20, 16 << 20 })
        {
            var input = new byte[size];
            new Random(1).NextBytes(input);
            Own.Hash(input, digest);
            var own = digest.ToArray();
            PackageHasher.Hash(input, digest);
            if (!own.AsSpan().SequenceEqual(digest))
            {
                throw new InvalidOperationException($"The two implementations disagree at {size} bytes.");
            }

            var iterations = (int)Math.Max(2, 20_000_000L / Math.Max(size, 256));
            var (ownTimes, packageTimes) = Alternate(
                iterations,
                () => Own.Hash(input, digest),
                () => PackageHasher.Hash(input, digest),
                useCpuTime: true);
            output.WriteLine($"| {Size(size)} | {Ns(ownTimes.Min())} | {Ns(packageTimes.Min())} | {Ns(Median(ownTimes))} | {Ns(Median(packageTimes))} | {size / ownTimes.Min():F2} | {size / packageTimes.Min():F2} | {packageTimes.Min() / ownTimes.Min():F2} |");
        }

        output.WriteLine();
        output.WriteLine($"Multi-threaded ({Environment.ProcessorCount} processors): own HashParallel vs package UpdateWithJoin, median of {Batches} alternating runs:");
        output.WriteLine();
        output.WriteLine("| Size | own wall | package wall | own CPU | package CPU | own GB/s (wall) | package GB/s (wall) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var size in new[] { 16 << 20, 1 << 30 })
        {
            var input = new byte[size];
            new Random(1).NextBytes(input);
            var iterations = size >= 1 << 30 ? 1 : 4;
            Action own = () => Own.HashParallel(input, digest, Environment.ProcessorCount);
            Action package = () =>
            {
                using var hasher = PackageHasher.New();
                hasher.UpdateWithJoin(input);
                hasher.Finalize(digest);
            };
            var (ownWall, packageWall) = Alternate(iterations, own, package, useCpuTime: false);
            var (ownCpu, packageCpu) = Alternate(iterations, own, package, useCpuTime: true);
            output.WriteLine($"| {Size(size)} | {Ms(Median(ownWall))} | {Ms(Median(packageWall))} | {Ms(Median(ownCpu))} | {Ms(Median(packageCpu))} | {size / Median(ownWall):F2} | {size / Median(packageWall):F2} |");
        }
    }

    // Nanoseconds per call for each batch, the two sides taking turns (which goes first alternates too).
    private static (double[] First, double[] Second) Alternate(int iterations, Action first, Action second, bool useCpuTime)
    {
        for (var i = 0; i < Math.Max(1, iterations / 2); i++)
        {
            first();
            second();
        }

        var a = new double[Batches];
        var b = new double[Batches];
        for (var batch = 0; batch < Batches; batch++)
        {
            if (batch % 2 == 0)
            {
                a[batch] = Time(first, iterations, useCpuTime);
                b[batch] = Time(second, iterations, useCpuTime);
            }
            else
            {
                b[batch] = Time(second, iterations, useCpuTime);
                a[batch] = Time(first, iterations, useCpuTime);
            }
        }

        return (a, b);
    }

    private static double Time(Action action, int iterations, bool useCpuTime)
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            action();
        }

        wall.Stop();
        process.Refresh();
        var elapsed = useCpuTime ? process.TotalProcessorTime - cpuStart : wall.Elapsed;
        return elapsed.TotalNanoseconds / iterations;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Ns(double ns) => ns < 10_000 ? $"{ns:N1} ns" : ns < 10_000_000 ? $"{ns / 1000:N1} µs" : Ms(ns);

    private static string Ms(double ns) => $"{ns / 1_000_000:F2} ms";

    private static string Size(int bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes:N0} B";
}
