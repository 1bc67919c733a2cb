using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project benchmarks -- --filter '*Blake3*'
BenchmarkSwitcher.FromAssembly(typeof(Overlay.Benchmarks.BenchmarkConfig).Assembly).Run(args, Overlay.Benchmarks.BenchmarkConfig.Create());
