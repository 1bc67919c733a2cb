using System.Diagnostics;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Persistence;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// <c>dht-put-rate</c>: what a durable put costs and what one publisher asks of its peers.
/// <list type="number">
/// <item>Puts per second on a lone node, in process, 16 in flight: records in memory only (no dht.db),
/// saved through the group-commit journal with <c>synchronous=NORMAL</c> (survives a killed process, the
/// default) and with <c>FULL</c> (survives power loss); wall clock and process CPU time per put, best of 3.</item>
/// <item>Requests each peer receives from one publisher per put, in networks of 5 to 100 nodes on 1 ms links
/// (in-memory transport, virtual time, exact counts: a lookup and a store round per put).</item>
/// <item>Start-up: loading dht.db with 10,000 records and taking them back, when the rows carry this
/// node's seal (no signature check) and when they carry another's (every record checked again), by CPU
/// time; and what a snapshot round costs beside those records (200 contacts, all changed, and the sweep
/// of expired rows).</item>
/// </list>
/// Multiply the second by the first (or by the rate through the control API, <c>dht-put-control</c>) for
/// the request rate a peer sees during a bulk put.
/// </summary>
public static class DhtPutRateProbe
{
    private const int InFlight = 16;
    private const int Rounds = 3;

    public static void Run(TextWriter output, int puts)
    {
        foreach (var mode in (string[])["memory", "normal", "full"])
        {
            var (wallPerSecond, cpuMicros, groups) = LonePuts(mode, puts);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lone node, {puts} puts, {InFlight} in flight, {mode,-6}: {wallPerSecond,7:N0} puts/s wall, {cpuMicros,6:N0} µs CPU per put{(groups > 0 ? $", {groups:N0} commits ({(double)puts / groups:F1} puts per commit)" : string.Empty)}"));
        }

        foreach (var (label, cpuMs) in Restore(10_000))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dht.db with 10,000 records, {label}: {cpuMs:N1} ms CPU"));
        }

        foreach (var nodes in (int[])[5, 20, 100])
        {
            var (mean, max) = RequestsPerPeer(nodes, Math.Min(puts, 400));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"network of {nodes,3} nodes: requests one peer receives from the publisher per put: mean {mean:F2}, most {max:F2}"));
        }
    }

    private static (double PutsPerSecond, double CpuMicrosPerPut, long Groups) LonePuts(string mode, int puts)
    {
        var best = (Rate: 0.0, Cpu: double.MaxValue, Groups: 0L);
        for (var round = 0; round < Rounds + 1; round++)
        {
            var dir = Directory.CreateTempSubdirectory("overlay-putrate").FullName;
            using var identity = NodeIdentity.FromRandom(new Random(round));
            using var seal = DhtRowSeal.FromIdentity(identity);
            SqliteDhtStateStore? store = null;
            DhtStateJournal? journal = null;
            try
            {
                if (mode != "memory")
                {
                    store = new SqliteDhtStateStore(Path.Combine(dir, SqliteDhtStateStore.FileName), new DhtOptions(), 1000, seal, fullSync: mode == "full");
                    store.Load(DateTimeOffset.UtcNow);
                    journal = new DhtStateJournal(store);
                }

                // A lone node: its table is empty, so a put is sign, check, keep and save, with no network round.
                var clock = new VirtualTimeProvider(DateTimeOffset.UtcNow);
                var net = new InMemoryNetwork(clock, seed: 1);
                var node = new DhtNode(identity, new DhtOptions { MaxRecords = puts + 1 }, clock, new Random(1), h => net.CreateNode(identity.PeerId, h), journal: journal);
                var keys = new PeerId[puts];
                var random = new Random(round);
                for (var i = 0; i < puts; i++)
                {
                    keys[i] = PeerId.Random(random);
                }

                var value = new byte[100];
                var process = Process.GetCurrentProcess();
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                var next = -1;
                var workers = new Task[InFlight];
                for (var w = 0; w < InFlight; w++)
                {
                    workers[w] = Task.Run(async () =>
                    {
                        int i;
                        while ((i = Interlocked.Increment(ref next)) < puts)
                        {
                            var result = await node.PutAsync(keys[i], value, CancellationToken.None);
                            if (!result.Succeeded)
                            {
                                throw new InvalidOperationException($"put {i} failed: {result}");
                            }
                        }
                    });
                }

                Task.WaitAll(workers);
                wall.Stop();
                process.Refresh();
                if (round == 0)
                {
                    continue; // warm-up: JIT and the first file
                }

                var rate = puts / wall.Elapsed.TotalSeconds;
                var cpuPerPut = (process.TotalProcessorTime - cpu).TotalMicroseconds / puts;
                if (rate > best.Rate)
                {
                    best = (rate, Math.Min(best.Cpu, cpuPerPut), journal?.Groups ?? 0);
                }
                else
                {
                    best.Cpu = Math.Min(best.Cpu, cpuPerPut);
                }
            }
            finally
            {
                journal?.Dispose();
                store?.Dispose();
                Directory.Delete(dir, recursive: true);
            }
        }

        return best;
    }

    /// <summary>Writes <paramref name="count"/> records as a node would, then loads and restores them with its seal and with another's; best of 3 by CPU time.</summary>
    private static List<(string Label, double CpuMs)> Restore(int count)
    {
        var dir = Directory.CreateTempSubdirectory("overlay-restore").FullName;
        using var identity = NodeIdentity.FromRandom(new Random(7));
        using var stranger = NodeIdentity.FromRandom(new Random(8));
        using var seal = DhtRowSeal.FromIdentity(identity);
        using var strangerSeal = DhtRowSeal.FromIdentity(stranger);
        var path = Path.Combine(dir, SqliteDhtStateStore.FileName);
        var options = new DhtOptions();
        var now = DateTimeOffset.UtcNow;
        try
        {
            using (var store = new SqliteDhtStateStore(path, options, 1000, seal))
            {
                store.Load(now);
                var random = new Random(1);
                var changes = new List<DhtStateChange>(count);
                for (var i = 0; i < count; i++)
                {
                    var record = Overlay.Dht.Records.DhtRecord.Create(PeerId.Random(random), new byte[100], identity.PublicKey.Encoded, 1, now.AddHours(12), p => identity.Sign(p));
                    changes.Add(DhtStateChange.StoreRecord(new SavedRecord(record, PublishedLocally: false)));
                }

                store.Apply(changes);
            }

            var rows = new List<(string, double)>();
            using (var store = new SqliteDhtStateStore(path, options, 1000, seal))
            {
                store.Load(now);
                var best = double.MaxValue;
                var random = new Random(2);
                var peers = Enumerable.Range(0, 200).Select(_ => PeerId.Random(random)).ToArray();
                for (var round = 0; round < 4; round++)
                {
                    var contacts = peers.Select((p, i) => new ContactSnapshot(p, $"tcp://10.0.{i}.1:4001", round + 1, now.AddSeconds(round), 0, null)).ToList();
                    var process = Process.GetCurrentProcess();
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    store.Apply([DhtStateChange.SaveContacts(contacts), DhtStateChange.RemoveExpired(now)]);
                    process.Refresh();
                    best = round == 0 ? best : Math.Min(best, (process.TotalProcessorTime - cpu).TotalMilliseconds);
                }

                rows.Add(("snapshot round beside them: 200 changed contacts and the expiry sweep", best));
            }

            foreach (var (label, used) in new[] { ("load and restore, rows sealed by this node", seal), ("load and restore, rows sealed by another node (every signature checked)", strangerSeal) })
            {
                var best = double.MaxValue;
                for (var round = 0; round < 3; round++)
                {
                    var process = Process.GetCurrentProcess();
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    // Read-only use: a copy, so that no round reseals the rows for the next.
                    var copy = Path.Combine(dir, $"copy{round}{label.Length}.db");
                    File.Copy(path, copy, overwrite: true);
                    using var store = new SqliteDhtStateStore(copy, options, 1000, used);
                    var loaded = store.Load(now);
                    var clock = new VirtualTimeProvider(now);
                    var net = new InMemoryNetwork(clock, seed: 1);
                    var node = new DhtNode(identity, options, clock, new Random(1), h => net.CreateNode(identity.PeerId, h));
                    foreach (var saved in loaded.Snapshot.Records)
                    {
                        if (node.RestoreRecord(saved) != Overlay.Dht.Records.RecordRejection.None)
                        {
                            throw new InvalidOperationException("a saved record was refused");
                        }
                    }

                    process.Refresh();
                    best = Math.Min(best, (process.TotalProcessorTime - cpu).TotalMilliseconds);
                }

                rows.Add((label, best));
            }

            return rows;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Puts from node 1 of a network of <paramref name="count"/>; each other node counts the requests it received.</summary>
    private static (double Mean, double Max) RequestsPerPeer(int count, int puts)
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var net = new InMemoryNetwork(clock, seed: 5, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(0.5))));
        var options = new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536, MaxRequestsPerPeerPerSecond = 10000, RequestBurstPerPeer = 100_000 };
        var keys = new Random(9);
        var identities = new List<NodeIdentity>();
        var nodes = new List<DhtNode>();
        var transports = new List<InMemoryTransport>();
        for (var i = 0; i < count; i++)
        {
            var identity = NodeIdentity.FromRandom(keys);
            identities.Add(identity);
            nodes.Add(new DhtNode(identity, options, clock, new Random(i), h =>
            {
                var t = net.CreateNode(identity.PeerId, h, new TransportOptions());
                transports.Add(t);
                return t;
            }));
        }

        var before = new long[count];
        net.Run(async () =>
        {
            var seed = await nodes[0].StartAsync(transports[0].Host, CancellationToken.None);
            for (var i = 1; i < count; i++)
            {
                await nodes[i].StartAsync(transports[i].Host, CancellationToken.None);
            }

            for (var i = 1; i < count; i++)
            {
                await nodes[i].BootstrapAsync([seed], CancellationToken.None);
            }

            // Settle, then count only what the puts cause.
            await Task.Delay(TimeSpan.FromSeconds(5), clock);
            for (var i = 0; i < count; i++)
            {
                before[i] = nodes[i].Metrics.RequestsServed + nodes[i].Metrics.RequestsDropped;
            }

            var random = new Random(3);
            for (var p = 0; p < puts; p++)
            {
                await nodes[1].PutAsync(PeerId.Random(random), new byte[100], CancellationToken.None);
            }
        }, TimeSpan.FromMinutes(10));

        var perPut = new List<double>();
        for (var i = 0; i < count; i++)
        {
            if (i != 1)
            {
                perPut.Add((nodes[i].Metrics.RequestsServed + nodes[i].Metrics.RequestsDropped - before[i]) / (double)puts);
            }
        }

        foreach (var identity in identities)
        {
            identity.Dispose();
        }

        return (perPut.Average(), perPut.Max());
    }
}
