using BenchmarkDotNet.Running;

// BenchmarkDotNet: dotnet artifacts/bin/Benchmarks/release/Overlay.Benchmarks.dll --filter '*Blake3*'
// Measurements outside BenchmarkDotNet:
//   Overlay.Benchmarks.dll blake3-cpu                                    BLAKE3 by process CPU time
//   Overlay.Benchmarks.dll audit-prepare-cpu                             an owner's audit answers: all keys at once beside one at a time, by CPU time
//   Overlay.Benchmarks.dll mldsa-compare                                 own ML-DSA beside BouncyCastle by process CPU time
//   Overlay.Benchmarks.dll identity-memory [count]                       bytes per identity/key, sign and verify by CPU time
//   Overlay.Benchmarks.dll storage-cpu [row]                             shard store by process CPU time (rows containing [row])
//   Overlay.Benchmarks.dll storage-litedb                                the shard store beside LiteDB on the same work
//   Overlay.Benchmarks.dll storage-footprint                             shard store file bytes per shard, by shard size
//   Overlay.Benchmarks.dll storage-memory                                in-memory shard store heap bytes per shard and per store
//   Overlay.Benchmarks.dll dht-serve-cpu                                 FIND_NODE served over TCP+TLS by process CPU time
//   Overlay.Benchmarks.dll placement-cpu                                 EigenTrust and 8-of-N selection by thread CPU time, per-call percentiles
//   Overlay.Benchmarks.dll dht-put-rate [puts]                           durable puts on a lone node; requests per peer per put
//   Overlay.Benchmarks.dll dht-put-control DATA_DIR [puts] [clients] [PID,...]   puts through a running daemon's control API
//   Overlay.Benchmarks.dll erasure-cpu [tsv]                               Reed–Solomon 10+4 encode and rebuild by CPU time
//   Overlay.Benchmarks.dll erasure-crosscheck DIR                          Reed–Solomon against klauspost/reedsolomon's cases
//   Overlay.Benchmarks.dll transport latency|loaded|handshake N|handshake-raw N|connections N|sim-connections N
//   Overlay.Benchmarks.dll metrics-exporter opentelemetry|prometheus-net|none [idle-s]  a Prometheus exporter's memory, idle CPU and per-measurement cost
//   Overlay.Benchmarks.dll shard-exchange tcp|quic SIZE COUNT [window=N]   shard/1 store and verified fetch between two nodes on loopback
//   Overlay.Benchmarks.dll control-cpu                                   control API round trip, Unix socket beside loopback TCP, by CPU time
if (args is ["blake3-cpu"])
{
    Overlay.Benchmarks.Crypto.Blake3CpuTimeProbe.Run(Console.Out);
    return 0;
}

if (args is ["audit-prepare-cpu"])
{
    Overlay.Benchmarks.Crypto.AuditPrepareProbe.Run(Console.Out);
    return 0;
}

if (args is ["mldsa-compare"])
{
    Overlay.Benchmarks.Crypto.MlDsaBouncyCastleProbe.Run(Console.Out);
    return 0;
}

if (args.Length is 1 or 2 && args[0] == "identity-memory")
{
    Overlay.Benchmarks.Crypto.IdentityMemoryProbe.Run(Console.Out, args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000);
    return 0;
}

if (args is ["shard-exchange", var shardTransport, var shardSize, var shardCount, ..] && args.Length <= 5)
{
    int? shardWindow = args.Length == 5 && args[4].StartsWith("window=", StringComparison.Ordinal)
        ? int.Parse(args[4]["window=".Length..], System.Globalization.CultureInfo.InvariantCulture)
        : null;
    return await Overlay.Benchmarks.Node.ShardExchangeProbe.RunAsync(Console.Out, shardTransport,
        int.Parse(shardSize, System.Globalization.CultureInfo.InvariantCulture), int.Parse(shardCount, System.Globalization.CultureInfo.InvariantCulture), shardWindow);
}

if (args.Length > 0 && args[0] == "transport")
{
    return await Overlay.Benchmarks.Transport.TransportCommands.RunAsync(args[1..]);
}

if (args is ["placement-cpu"])
{
    Overlay.Benchmarks.Placement.PlacementCpuTimeProbe.Run(Console.Out);
    return 0;
}

if (args is ["dht-serve-cpu"])
{
    Overlay.Benchmarks.Dht.DhtServeCpuTimeProbe.Run(Console.Out);
    return 0;
}

if (args.Length is 1 or 2 && args[0] == "dht-put-rate")
{
    Overlay.Benchmarks.Dht.DhtPutRateProbe.Run(Console.Out, args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4000);
    return 0;
}

if (args.Length is >= 2 and <= 5 && args[0] == "dht-put-control")
{
    return await Overlay.Benchmarks.Dht.DhtPutControlProbe.RunAsync(Console.Out, args[1],
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2000,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 16,
        args.Length > 4 ? [.. args[4].Split(',').Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))] : []);
}

if (args.Length is 1 or 2 && args[0] == "storage-cpu")
{
    Overlay.Benchmarks.Storage.ShardStoreCpuTimeProbe.Run(Console.Out, args.Length == 2 ? args[1] : null);
    return 0;
}

if (args is ["erasure-cpu"] or ["erasure-cpu", "tsv"])
{
    Overlay.Benchmarks.Erasure.ErasureCpuTimeProbe.Run(Console.Out, tsv: args.Length == 2);
    return 0;
}

if (args is ["erasure-crosscheck", var crossCheckDirectory])
{
    return Overlay.Benchmarks.Erasure.ErasureCrossCheck.Run(Console.Out, crossCheckDirectory);
}

if (args is ["storage-litedb"])
{
    Overlay.Benchmarks.Storage.LiteDbComparisonProbe.Run(Console.Out);
    return 0;
}

if (args is ["control-cpu"])
{
    Overlay.Benchmarks.Node.ControlSocketCpuTimeProbe.Run(Console.Out);
    return 0;
}

if (args.Length is 2 or 3 && args[0] == "metrics-exporter")
{
    return await Overlay.Benchmarks.Node.MetricsExporterProbe.RunAsync(Console.Out, args[1],
        args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 60);
}

if (args is ["storage-footprint"])
{
    Overlay.Benchmarks.Storage.ShardStoreFootprintProbe.Run(Console.Out);
    return 0;
}

if (args is ["storage-memory"])
{
    Overlay.Benchmarks.Storage.InMemoryShardStoreMemoryProbe.Run(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Overlay.Benchmarks.BenchmarkConfig).Assembly).Run(args, Overlay.Benchmarks.BenchmarkConfig.Create());
return 0;
