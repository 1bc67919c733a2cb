using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project benchmarks -- --filter '*Blake3*'
// Transport measurements outside BenchmarkDotNet: ... Overlay.Benchmarks.dll transport latency|connections N|sim-connections N
if (args.Length > 0 && args[0] == "transport")
{
    return await Overlay.Benchmarks.Transport.TransportCommands.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Overlay.Benchmarks.BenchmarkConfig).Assembly).Run(args, Overlay.Benchmarks.BenchmarkConfig.Create());
return 0;
