using Overlay.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// The answers an owner prepares per holder when it stores a shard (sixteen keyed BLAKE3 hashes of the
/// whole shard, docs/PROTOCOL.md "Audits"): all keys at once (<see cref="Blake3MultiKey"/>, what the
/// node does) beside one keyed hash per key (what it did), by process CPU time, the two in turns batch by
/// batch. Shard sizes: a 10+4 shard of a 4 MiB stripe (410 KiB), and 4 MiB. Run with <c>audit-prepare-cpu</c>.
/// </summary>
public static class AuditPrepareProbe
{
    private const int Keys = 16;
    private const int Batches = 11;

    public static void Run(TextWriter output)
    {
        output.WriteLine($"| Shard | {Keys} keys at once, µs CPU (best / median) | one key at a time | GB/s of shard × keys, at once / one at a time (best) |");
        output.WriteLine("|---:|---:|---:|---:|");
        var random = new Random(16);
        var keys = new byte[Keys * Blake3MultiKey.KeySize];
        random.NextBytes(keys);
        var prefix = new byte[51];
        var hashes = new byte[keys.Length];
        foreach (var size in new[] { 419_431, 4 << 20 })
        {
            var shard = new byte[size];
            random.NextBytes(shard);
            var iterations = Math.Max(2, 64_000_000 / (size * Keys));
            var (together, apart) = CpuTimer.Alternate(
                () => Blake3MultiKey.KeyedHashes(keys, prefix, shard, hashes),
                () => Blake3MultiKey.KeyedHashes(keys, prefix, shard, hashes, vectorised: false),
                iterations,
                Batches);
            var bytes = (double)size * Keys;
            output.WriteLine($"| {size:N0} B | {together.Min() / 1000:N0} / {CpuTimer.Median(together) / 1000:N0} | {apart.Min() / 1000:N0} / {CpuTimer.Median(apart) / 1000:N0} | {bytes / together.Min():F2} / {bytes / apart.Min():F2} |");
        }
    }
}
