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
/// <c>shard-exchange tcp|quic SIZE COUNT</c>: stores COUNT shards of SIZE bytes on a second node over
/// loopback (its real SQLite shard store in a temporary directory, each store answered with a signed
/// receipt the asking side checks), then fetches each back and verifies it against its id. One
/// connection, one operation at a time. Prints shards/s, MB/s and the p50/p99 of single operations,
/// wall clock, with the process CPU time beside it.
/// </summary>
public static class ShardExchangeProbe
{
    public static async Task<int> RunAsync(TextWriter output, string transport, int size, int count)
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
            var shards = new List<(ShardId Id, byte[] Data)>(count);
            for (var i = 0; i < count; i++)
            {
                var data = new byte[size];
                random.NextBytes(data);
                shards.Add((ShardId.Compute(data), data));
            }

            var expiry = DateTimeOffset.UtcNow.AddDays(1);
            var holderCandidate = new[] { new HolderCandidate(holder.PeerId, listener.LocalAddress) };
            var stores = await TimeAsync(shards, async s => await exchange.StoreAsync(connection, s.Id, s.Data, expiry, CancellationToken.None));
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

    private static async Task<(List<double> Micros, double WallSeconds, double CpuSeconds)> TimeAsync(List<(ShardId Id, byte[] Data)> shards, Func<(ShardId Id, byte[] Data), Task> operation)
    {
        // One warm-up operation outside the figures (JIT, first TLS records).
        await operation(shards[0]);
        var micros = new List<double>(shards.Count);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        foreach (var shard in shards)
        {
            var started = Stopwatch.GetTimestamp();
            await operation(shard);
            micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return (micros, wall.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    private static void Report(TextWriter output, string transport, string what, int size, int count, (List<double> Micros, double WallSeconds, double CpuSeconds) run)
    {
        var (p50, p99) = Transport.LoadedLatencyCommand.Percentiles(run.Micros);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{transport} {what}, {count} x {size / 1024} KiB: {count / run.WallSeconds:F1} shards/s, {(double)size * count / run.WallSeconds / 1e6:F1} MB/s, p50 {p50 / 1000:F2} ms, p99 {p99 / 1000:F2} ms; process CPU {run.CpuSeconds / count * 1000:F2} ms per shard (both nodes)"));
    }
}
