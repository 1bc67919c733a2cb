using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.Quic;
using Overlay.Transport.Tls;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// <c>shard-exchange tcp|quic SIZE COUNT [window=BYTES]</c>: stores COUNT shards of SIZE bytes on a second
/// node over loopback (its real SQLite shard store in a temporary directory, each store answered with a
/// signed receipt the asking side checks), then fetches each back and verifies it against its id. One
/// connection, one operation at a time. Prints shards/s, MB/s and the p50/p99 of single operations,
/// wall clock, with the process CPU time beside it, after 20 stores and fetches of other shards to warm
/// up. Then, in the same process: fetches with the holder's read verification on and off, shard by
/// shard in turn (what the holder's re-hash costs), fetches into the fetcher's new array per shard and
/// into one buffer kept across fetches, in turn (what the new array's fresh pages cost), and the CPU
/// time of the audit challenges an owner prepares for each holder at store time. <c>window=</c> sets both nodes' <c>StreamWindowBytes</c>.
/// </summary>
public static class ShardExchangeProbe
{
    /// <summary>Stores and fetches before the timed ones, past the JIT's tier-up thresholds.</summary>
    private const int WarmUp = 20;

    public static async Task<int> RunAsync(TextWriter output, string transport, int size, int count, int? window = null)
    {
        var directory = Directory.CreateTempSubdirectory("overlay-shard-bench").FullName;
        using var meter = new Meter("shard-bench");
        using var holder = NodeIdentity.Generate();
        using var owner = NodeIdentity.Generate();
        var options = new ShardExchangeOptions { StoresPerMinutePerPeer = 1_000_000, StoreBurstPerPeer = 1_000_000, StreamTimeout = TimeSpan.FromMinutes(5) };
        var storage = new StorageOptions { Directory = directory, MaxShardBytes = StorageOptions.MaxShardBytesLimit, CapacityBytes = 64L << 30 };
        var store = SqliteShardStore.Open(storage, TimeProvider.System, null, NullLogger.Instance);
        var handler = new ShardExchangeHandler(holder, store, storage.MaxShardBytes, options, TimeProvider.System, new ShardExchangeMetrics(meter), NullLogger.Instance);
        var transportOptions = new TransportOptions();
        if (window is { } bytes)
        {
            transportOptions.StreamWindowBytes = bytes;
        }

        var scheme = Transport.LoopbackPair.ParseScheme(transport);
        ITransport server, client;
        if (scheme == TransportScheme.Quic)
        {
            transportOptions.MsQuicLibraryPath = Environment.GetEnvironmentVariable(Transport.LoopbackPair.MsQuicPathVariable) is { Length: > 0 } path ? path : null;
            QuicSupport.ThrowIfUnavailable(transportOptions);
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("The QUIC run is measured on Linux.");
            }

            server = new QuicTransport(holder, new ProtocolDispatcher(ProtocolIds.Shard, handler), transportOptions);
            client = new QuicTransport(owner, new ProtocolDispatcher(), transportOptions);
        }
        else
        {
            server = new TcpTlsTransport(holder, new ProtocolDispatcher(ProtocolIds.Shard, handler), transportOptions);
            client = new TcpTlsTransport(owner, new ProtocolDispatcher(), transportOptions);
        }

        try
        {
            var listener = await server.ListenAsync(TransportAddress.Parse($"{transport}://127.0.0.1:0"));
            var connection = await client.DialAsync(listener.LocalAddress);
            var exchange = new ShardExchangeClient(owner.PeerId, options.StreamTimeout, TimeProvider.System);
            var fetcher = new ShardFetcher(exchange, (_, _) => ValueTask.FromResult(connection), storage.MaxShardBytes);
            var random = new Random(18);
            var shards = new List<(ShardId Id, byte[] Data)>(count + WarmUp);
            for (var i = 0; i < count + WarmUp; i++)
            {
                var data = new byte[size];
                random.NextBytes(data);
                shards.Add((ShardId.Compute(data), data));
            }

            var expiry = DateTimeOffset.UtcNow.AddDays(1);
            var holderCandidate = new[] { new HolderCandidate(holder.PeerId, listener.LocalAddress) };
            // Shards of their own for the warm-up (JIT tiers, first TLS records), so every timed store is a new shard.
            var warm = shards[..WarmUp];
            shards = shards[WarmUp..];
            Func<(ShardId Id, byte[] Data), Task> storeOne = async s => await exchange.StoreAsync(connection, s.Id, s.Data, expiry, CancellationToken.None);
            foreach (var s in warm)
            {
                await storeOne(s);
            }

            foreach (var s in warm)
            {
                await fetcher.FetchAsync(s.Id, holderCandidate, CancellationToken.None);
            }

            var stores = await TimeAsync(shards, storeOne);
            var fetches = await TimeAsync(shards, async s =>
            {
                var (data, _) = await fetcher.FetchAsync(s.Id, holderCandidate, CancellationToken.None);
                if (data.Length != s.Data.Length)
                {
                    throw new InvalidOperationException("The fetched shard has the wrong length.");
                }
            });
            Report(output, transport, "store (receipt checked)", size, count, stores);
            Report(output, transport, "fetch (verified)", size, count, fetches);

            // The holder's whole-shard hash on every read, on and off in turns under the same load.
            var (checkedReads, uncheckedReads) = await AlternateAsync(shards, async s => await fetcher.FetchAsync(s.Id, holderCandidate, CancellationToken.None),
                () => store.SkipReadVerification = false, () => store.SkipReadVerification = true);
            store.SkipReadVerification = false;
            Report(output, transport, "fetch, holder re-hashes on read (in turns)", size, count, checkedReads);
            Report(output, transport, "fetch, holder reads unchecked (in turns)", size, count, uncheckedReads);

            // What the fetcher's new array per shard costs (its pages are fresh: a fault per 4 KiB on the copy in):
            // the same verified fetch into one buffer kept across fetches, in turns with the fetcher's.
            var kept = GC.AllocateUninitializedArray<byte>(size);
            var intoKept = false;
            var (freshBuffer, keptBuffer) = await AlternateAsync(shards, async s =>
                {
                    if (!intoKept)
                    {
                        await fetcher.FetchAsync(s.Id, holderCandidate, CancellationToken.None);
                        return;
                    }

                    var hasher = Blake3Hasher.Create();
                    var length = await exchange.FetchAsync(connection, s.Id, 0, ShardCodec.ToEnd, kept, piece => hasher.Update(piece.Span), CancellationToken.None);
                    var digest = new byte[ShardId.Size];
                    hasher.Finalize(digest);
                    if (length != size || ShardId.FromBytes(digest) != s.Id)
                    {
                        throw new InvalidOperationException("The shard fetched into the kept buffer does not hash to its id.");
                    }
                },
                () => intoKept = false, () => intoKept = true);
            Report(output, transport, "fetch into a new array per shard (in turns)", size, count, freshBuffer);
            Report(output, transport, "fetch into one kept buffer (in turns)", size, count, keptBuffer);

            // What the owner adds to each store: one keyed hash of the whole shard per audit challenge it keeps for the holder.
            var audits = options.AuditChallengesPerHolder;
            var prepare = CpuTimer.Alternate(
                () => ShardAudit.Prepare(shards[0].Id, shards[0].Data, audits, nonce => random.NextBytes(nonce)),
                () => ShardAudit.Answer(new byte[ShardCodec.NonceBytes], shards[0].Id, shards[0].Data, new byte[ShardCodec.NonceBytes]),
                iterations: Math.Max(1, (64 << 20) / Math.Max(size, 1) / audits), batches: 7);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"audit challenges for one holder ({audits} keyed hashes of a {size / 1024} KiB shard): CPU median of 7 batches {CpuTimer.Median(prepare.First) / 1e6:F2} ms; one answer {CpuTimer.Median(prepare.Second) / 1e6:F2} ms"));
            await connection.CloseAsync();
        }
        finally
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
            await store.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    private static async Task<(List<double> Micros, double WallSeconds, double CpuSeconds, long Faults)> TimeAsync(List<(ShardId Id, byte[] Data)> shards, Func<(ShardId Id, byte[] Data), Task> operation)
    {
        var micros = new List<double>(shards.Count);
        var faults = MinorFaults();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        foreach (var shard in shards)
        {
            var started = Stopwatch.GetTimestamp();
            await operation(shard);
            micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return (micros, wall.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, MinorFaults() - faults);
    }

    /// <summary>
    /// The process's minor page faults so far (Linux; 0 elsewhere): each is a first touch of a fresh
    /// 4 KiB page, which is what writing into a newly allocated large buffer costs.
    /// </summary>
    private static long MinorFaults()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat))
        {
            return 0;
        }

        // Field 10 (minflt), counted after the command name, which is in parentheses and may hold spaces.
        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    /// <summary>Each shard once with <paramref name="setFirst"/> and once with <paramref name="setSecond"/> applied, in turns (which goes first alternates).</summary>
    private static async Task<((List<double>, double, double, long) First, (List<double>, double, double, long) Second)> AlternateAsync(
        List<(ShardId Id, byte[] Data)> shards, Func<(ShardId Id, byte[] Data), Task> operation, Action setFirst, Action setSecond)
    {
        var sides = new[] { (Set: setFirst, Micros: new List<double>(), Wall: 0.0, Cpu: 0.0, Faults: 0L), (Set: setSecond, Micros: new List<double>(), Wall: 0.0, Cpu: 0.0, Faults: 0L) };
        for (var i = 0; i < shards.Count; i++)
        {
            for (var turn = 0; turn < 2; turn++)
            {
                var side = (i + turn) % 2;
                sides[side].Set();
                var faults = MinorFaults();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var started = Stopwatch.GetTimestamp();
                await operation(shards[i]);
                var elapsed = Stopwatch.GetElapsedTime(started);
                sides[side].Micros.Add(elapsed.TotalMicroseconds);
                sides[side].Wall += elapsed.TotalSeconds;
                sides[side].Cpu += (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                sides[side].Faults += MinorFaults() - faults;
            }
        }

        return ((sides[0].Micros, sides[0].Wall, sides[0].Cpu, sides[0].Faults), (sides[1].Micros, sides[1].Wall, sides[1].Cpu, sides[1].Faults));
    }

    private static void Report(TextWriter output, string transport, string what, int size, int count, (List<double> Micros, double WallSeconds, double CpuSeconds, long Faults) run)
    {
        var (p50, p99) = Transport.LoadedLatencyCommand.Percentiles(run.Micros);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{transport} {what}, {count} x {size / 1024} KiB: {count / run.WallSeconds:F1} shards/s, {(double)size * count / run.WallSeconds / 1e6:F1} MB/s, p50 {p50 / 1000:F2} ms, p99 {p99 / 1000:F2} ms; process CPU {run.CpuSeconds / count * 1000:F2} ms per shard (both nodes), {(double)run.Faults / count:F0} page faults per shard"));
    }
}
