// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Buffers.Binary;
using LiteDB;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// The shard store beside LiteDB (5.0.21, direct connection, default settings) on the same work in one
/// process: 200,000 documents of 64 bytes keyed by their 32-byte ids, inserted 1,024 at a time; random
/// point reads of them; 1 MiB files written and read whole (LiteDB's FileStorage). Each figure is the
/// process's CPU time and the wall clock per operation; the read and file rounds alternate between the
/// two, so both see the same load. LiteDB is given the ids ready-made, while the store computes each
/// id (BLAKE3) on put and verifies it on read. Run with <c>storage-litedb</c>.
/// </summary>
public static class LiteDbComparisonProbe
{
    private const int DocumentCount = 200_000;
    private const int DocumentSize = 64;
    private const int BulkSize = 1024;
    private const int ReadsPerRound = 25_000;
    private const int ReadRounds = 4;
    private const int FileSize = 1 << 20;
    private const int FilesPerRound = 16;
    private const int FileRounds = 4;

    public static void Run(TextWriter output)
    {
        var directory = BenchStore.NewDirectory("litedb");
        Directory.CreateDirectory(directory);
        var liteFile = Path.Combine(directory, "litedb.db");
        try
        {
            using var lite = new LiteDatabase(new ConnectionString { Filename = liteFile, Connection = ConnectionType.Direct });
            var collection = lite.GetCollection("docs");
            var store = BenchStore.Open(Path.Combine(directory, "store"));
            try
            {
                var documents = Documents(out var ids);
                output.WriteLine("| Work | LiteDB: CPU µs/op | ops or MB per CPU-second | wall µs/op | shard store: CPU µs/op | ops or MB per CPU-second | wall µs/op |");
                output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");

                var liteInsert = CpuTimer.Measure(() => InsertLite(collection, documents, ids));
                var storeInsert = CpuTimer.Measure(() => PutAll(store, documents));
                Row(output, $"insert {DocumentCount:N0} × {DocumentSize} B, {BulkSize:N0} per bulk", DocumentCount, 0, liteInsert, storeInsert);

                var order = new int[ReadsPerRound];
                var random = new Random(12);
                var destination = new byte[DocumentSize];
                var liteReads = new List<(double, double)>();
                var storeReads = new List<(double, double)>();
                for (var round = 0; round < ReadRounds; round++)
                {
                    for (var i = 0; i < order.Length; i++)
                    {
                        order[i] = random.Next(DocumentCount);
                    }

                    liteReads.Add(CpuTimer.Measure(() => ReadLite(collection, ids, order, destination)));
                    storeReads.Add(CpuTimer.Measure(() => ReadStore(store, ids, order, destination)));
                }

                Row(output, $"point read of {DocumentSize} B by id, 1 thread (best of {ReadRounds} rounds of {ReadsPerRound:N0})", ReadsPerRound, 0, Best(liteReads), Best(storeReads));
                FileRows(output, lite, store);

                output.WriteLine();
                output.WriteLine($"Files after the inserts and {FileRounds * FilesPerRound} files: LiteDB {FileBytes(directory, "litedb*"):N0} bytes, shard store {FileBytes(Path.Combine(directory, "store"), "*"):N0} bytes.");
            }
            finally
            {
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            BenchStore.Delete(directory);
        }
    }

    // Documents whose first 8 bytes are a counter (so each is different) and their ids, as the store names them.
    private static byte[][] Documents(out ShardId[] ids)
    {
        var random = new Random(11);
        var documents = new byte[DocumentCount][];
        ids = new ShardId[DocumentCount];
        for (var i = 0; i < DocumentCount; i++)
        {
            documents[i] = new byte[DocumentSize];
            random.NextBytes(documents[i]);
            BinaryPrimitives.WriteInt64LittleEndian(documents[i], i);
            ids[i] = ShardId.Compute(documents[i]);
        }

        return documents;
    }

    private static void InsertLite(ILiteCollection<BsonDocument> collection, byte[][] documents, ShardId[] ids)
    {
        var bulk = new List<BsonDocument>(BulkSize);
        for (var start = 0; start < documents.Length; start += BulkSize)
        {
            bulk.Clear();
            for (var i = start; i < Math.Min(start + BulkSize, documents.Length); i++)
            {
                bulk.Add(new BsonDocument { ["_id"] = new BsonValue(ids[i].ToArray()), ["data"] = new BsonValue(documents[i]) });
            }

            collection.InsertBulk(bulk, BulkSize);
        }
    }

    private static void PutAll(SqliteShardStore store, byte[][] documents)
    {
        var pending = new ValueTask<PutResult>[BulkSize];
        for (var start = 0; start < documents.Length; start += BulkSize)
        {
            var count = Math.Min(BulkSize, documents.Length - start);
            for (var i = 0; i < count; i++)
            {
                pending[i] = store.PutAsync(documents[start + i]);
            }

            for (var i = 0; i < count; i++)
            {
                pending[i].AsTask().GetAwaiter().GetResult();
            }
        }
    }

    private static void ReadLite(ILiteCollection<BsonDocument> collection, ShardId[] ids, int[] order, byte[] destination)
    {
        foreach (var index in order)
        {
            var document = collection.FindById(new BsonValue(ids[index].ToArray()))
                ?? throw new InvalidOperationException("An inserted document did not read back from LiteDB.");
            document["data"].AsBinary.CopyTo(destination, 0);
        }
    }

    private static void ReadStore(SqliteShardStore store, ShardId[] ids, int[] order, byte[] destination)
    {
        foreach (var index in order)
        {
            if (store.Read(ids[index], destination).Status != ShardReadStatus.Found)
            {
                throw new InvalidOperationException("A stored shard did not read back.");
            }
        }
    }

    // 1 MiB files, one at a time on each side, rounds alternating: written, then read back whole.
    private static void FileRows(TextWriter output, LiteDatabase lite, SqliteShardStore store)
    {
        var storage = lite.FileStorage;
        var content = new byte[FileSize];
        new Random(13).NextBytes(content);
        var counter = 0L;
        var liteIds = new List<string>();
        var storeIds = new List<ShardId>();
        var (liteWrites, storeWrites) = (new List<(double, double)>(), new List<(double, double)>());
        for (var round = 0; round < FileRounds; round++)
        {
            liteWrites.Add(CpuTimer.Measure(() =>
            {
                for (var i = 0; i < FilesPerRound; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(content, ++counter);
                    var id = $"file-{counter}";
                    using var source = new MemoryStream(content, writable: false);
                    storage.Upload(id, id, source);
                    liteIds.Add(id);
                }
            }));
            storeWrites.Add(CpuTimer.Measure(() =>
            {
                for (var i = 0; i < FilesPerRound; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(content, ++counter);
                    storeIds.Add(store.PutAsync(content).AsTask().GetAwaiter().GetResult().Id);
                }
            }));
        }

        Row(output, $"write a 1 MiB file, 1 at a time (best of {FileRounds} rounds of {FilesPerRound})", FilesPerRound, FileSize, Best(liteWrites), Best(storeWrites));

        var buffer = new byte[FileSize];
        var (liteReads, storeReads) = (new List<(double, double)>(), new List<(double, double)>());
        for (var round = 0; round < FileRounds; round++)
        {
            var batch = round * FilesPerRound;
            liteReads.Add(CpuTimer.Measure(() =>
            {
                for (var i = batch; i < batch + FilesPerRound; i++)
                {
                    using var destination = new MemoryStream(buffer, writable: true);
                    if (storage.Download(liteIds[i], destination).Length != FileSize)
                    {
                        throw new InvalidOperationException("A LiteDB file did not read back whole.");
                    }
                }
            }));
            storeReads.Add(CpuTimer.Measure(() =>
            {
                for (var i = batch; i < batch + FilesPerRound; i++)
                {
                    if (store.Read(storeIds[i], buffer) != new ShardReadResult(ShardReadStatus.Found, FileSize))
                    {
                        throw new InvalidOperationException("A 1 MiB shard did not read back.");
                    }
                }
            }));
        }

        Row(output, $"read a 1 MiB file whole, 1 thread (best of {FileRounds} rounds of {FilesPerRound})", FilesPerRound, FileSize, Best(liteReads), Best(storeReads));
    }

    private static void Row(TextWriter output, string work, int operations, int bytesPerOperation, (double Cpu, double Wall) lite, (double Cpu, double Wall) store)
    {
        string Rate(double cpuMicroseconds) => bytesPerOperation > 0
            ? $"{bytesPerOperation / cpuMicroseconds:N0} MB"
            : $"{1e6 / cpuMicroseconds:N0}";

        var (liteCpu, liteWall) = (lite.Cpu / operations, lite.Wall / operations);
        var (storeCpu, storeWall) = (store.Cpu / operations, store.Wall / operations);
        output.WriteLine($"| {work} | {liteCpu:N2} | {Rate(liteCpu)} | {liteWall:N2} | {storeCpu:N2} | {Rate(storeCpu)} | {storeWall:N2} |");
    }

    private static (double Cpu, double Wall) Best(List<(double Cpu, double Wall)> rounds) =>
        (rounds.Min(r => r.Cpu), rounds.Min(r => r.Wall));

    private static long FileBytes(string directory, string pattern) =>
        Directory.EnumerateFiles(directory, pattern).Sum(f => new FileInfo(f).Length);
}
