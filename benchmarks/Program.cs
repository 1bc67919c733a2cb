using BenchmarkDotNet.Running;

// BenchmarkDotNet: dotnet artifacts/bin/Benchmarks/release/Overlay.Benchmarks.dll --filter '*Blake3*'
// Measurements outside BenchmarkDotNet:
//   Overlay.Benchmarks.dll blake3-cpu                                    BLAKE3 by process CPU time
//   Overlay.Benchmarks.dll identity-memory [count]                       bytes per identity/key, sign and verify by CPU time
//   Overlay.Benchmarks.dll storage-cpu [row]                             shard store by process CPU time (rows containing [row])
//   Overlay.Benchmarks.dll storage-footprint                             shard store file bytes per shard, by shard size
//   Overlay.Benchmarks.dll dht-serve-cpu                                 FIND_NODE served over TCP+TLS by process CPU time
//   Overlay.Benchmarks.dll transport latency|loaded|handshake N|connections N|sim-connections N
if (args is ["blake3-cpu"])
{
    Overlay.Benchmarks.Crypto.Blake3CpuTimeProbe.Run(Console.Out);
    return 0;
}

if (args.Length is 1 or 2 && args[0] == "identity-memory")
{
    Overlay.Benchmarks.Crypto.IdentityMemoryProbe.Run(Console.Out, args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000);
    return 0;
}

if (args.Length > 0 && args[0] == "transport")
{
    return await Overlay.Benchmarks.Transport.TransportCommands.RunAsync(args[1..]);
}

if (args is ["dht-serve-cpu"])
{
    Overlay.Benchmarks.Dht.DhtServeCpuTimeProbe.Run(Console.Out);
    return 0;
}

if (args.Length is 1 or 2 && args[0] == "storage-cpu")
{
    Overlay.Benchmarks.Storage.ShardStoreCpuTimeProbe.Run(Console.Out, args.Length == 2 ? args[1] : null);
    return 0;
}

if (args is ["storage-footprint"])
{
    Overlay.Benchmarks.Storage.ShardStoreFootprintProbe.Run(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Overlay.Benchmarks.BenchmarkConfig).Assembly).Run(args, Overlay.Benchmarks.BenchmarkConfig.Create());
return 0;
