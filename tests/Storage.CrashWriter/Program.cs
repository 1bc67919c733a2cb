using Overlay.Storage;

// Writes random shards into the store in args[0] (seed args[1]) as fast as it can, with several
// puts in flight so batches form, and prints each id once its put was acknowledged. The crash test
// kills this process with SIGKILL at a random moment and then checks every printed id survived.
// An optional merge threshold makes the store merge its log of recent shards into the id index
// every few batches, so kills also land inside merges.
var mergeThreshold = 65536;
if (args.Length < 2 || !int.TryParse(args[1], out var seed) || (args.Length > 2 && !int.TryParse(args[2], out mergeThreshold)))
{
    Console.Error.WriteLine("usage: Overlay.Storage.CrashWriter <directory> <seed> [merge threshold]");
    return 2;
}

var options = new StorageOptions
{
    Directory = args[0],
    CapacityBytes = 1L << 34,
    MaxShardBytes = 1024 * 1024,
    WriteBatchSize = 64,
    ReaderCount = 1,
    MergeThreshold = mergeThreshold,
};
var stdout = Console.Out;
await using var store = SqliteShardStore.Open(options);
stdout.WriteLine("ready");
stdout.Flush();

const int InFlight = 8;
var random = new Random(seed);
var gate = new object();
var tasks = new Task[InFlight];
for (var t = 0; t < InFlight; t++)
{
    var workerSeed = random.Next();
    tasks[t] = Task.Run(async () =>
    {
        var local = new Random(workerSeed);
        while (true)
        {
            // Mostly small shards (inline path), some large ones (incremental blob path).
            var size = local.Next(10) == 0 ? local.Next(64 * 1024, 1024 * 1024) : local.Next(1, 4096);
            var data = new byte[size];
            local.NextBytes(data);
            var result = await store.PutAsync(data);
            lock (gate)
            {
                stdout.WriteLine(result.Id.ToString());
                stdout.Flush();
            }
        }
    });
}

await Task.WhenAll(tasks);
return 0;
