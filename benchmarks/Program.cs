using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project benchmarks -- --filter '*Blake3*'
if (args is ["blake3-cpu"])
{
    Overlay.Benchmarks.Crypto.Blake3CpuTimeProbe.Run(Console.Out);
    return;
}

if (args is ["storage-cpu"])
{
    Overlay.Benchmarks.Storage.ShardStoreCpuTimeProbe.Run(Console.Out);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Overlay.Benchmarks.BenchmarkConfig).Assembly).Run(args, Overlay.Benchmarks.BenchmarkConfig.Create());
