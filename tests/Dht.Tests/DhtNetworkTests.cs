using System.Diagnostics;
using System.Globalization;
using System.Text;
using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Tests;

/// <summary>
/// Whole-network properties of real DhtNodes over the in-memory transport with PlanetLab link latencies,
/// on virtual time. Sizes are chosen to keep the suite fast; the full-size runs are the sim command.
/// </summary>
public class DhtNetworkTests(ITestOutputHelper output)
{
    private const int NodeCount = 1000;
    private const int LookupsInFlight = 16;

    // Real time a phase may take before it counts as hung. A phase takes well under a minute on a quiet
    // 2-core machine; the bound is generous so that a loaded machine is not mistaken for a hang.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(8);

    [Fact]
    public void Network_FormedFromOneBootstrapNode_LookupsFindTrueKClosest_PutGetSurvivesFailures()
    {
        var wall = Stopwatch.StartNew();
        using var net = new DhtTestNetwork(NodeCount, seed: 11, SharedLatency.PlanetLab, DhtTestNetwork.DefaultOptions());
        net.Form(concurrency: 32);
        output.WriteLine($"formed {NodeCount} nodes: virtual {net.Clock.Elapsed}, wall {wall.Elapsed}");
        // Every answer carried the responder's coordinate and its RTT was measured: coordinates must have moved
        // off their starting error.
        var error = 0.0;
        foreach (var node in net.Nodes)
        {
            error += node.CurrentCoordinate().Error;
        }

        error /= NodeCount;
        output.WriteLine($"mean Vivaldi error after formation: {error:F3}");
        Assert.True(error < new Coordinates.VivaldiOptions().InitialError, $"mean coordinate error {error:F3}");
        var k = net.Options.K;
        var random = new Random(3);

        // Lookups from random nodes for random targets against a global sort.
        const int lookups = 1000;
        var exact = 0;
        var hops = new int[lookups];
        var failures = 0;
        var missed = 0;
        var targets = new PeerId[lookups];
        var froms = new int[lookups];
        for (var i = 0; i < lookups; i++)
        {
            targets[i] = PeerId.Random(random);
            froms[i] = net.RandomLive(random);
        }

        net.Net.Run(async () =>
        {
            async Task LookupAsync(int i)
            {
                var result = await net.Nodes[froms[i]].FindClosestAsync(targets[i], CancellationToken.None);
                var truth = net.TrueClosest(targets[i], k, except: froms[i]);
                var hit = 0;
                foreach (var p in result.Closest)
                {
                    hit += truth.Contains(p.Id) ? 1 : 0;
                }

                exact += hit == k ? 1 : 0;
                hops[i] = result.Hops;
                failures += result.Failures;
                missed += k - hit;
            }

            // Several lookups in flight at once, as on a live network; everything still runs on the one
            // scheduler thread, so the counters need no locks.
            for (var start = 0; start < lookups; start += LookupsInFlight)
            {
                var batch = new List<Task>();
                for (var i = start; i < Math.Min(lookups, start + LookupsInFlight); i++)
                {
                    batch.Add(LookupAsync(i));
                }

                await Task.WhenAll(batch);
            }
        }, HangGuard);
        var accuracy = (double)exact / lookups;
        output.WriteLine($"lookups: {accuracy:P2} exact k closest ({missed} of {lookups * k} missed, {failures} failed requests); hops {Histogram(hops)}; wall {wall.Elapsed}");
        Assert.True(accuracy >= 0.99, $"only {accuracy:P2} of lookups found the true {k} closest");

        // Put 50 values from random nodes, get each from 20 other random nodes.
        const int keys = 50;
        const int getsPerKey = 20;
        var keyIds = new PeerId[keys];
        var publishers = new int[keys];
        var found = 0;
        net.Net.Run(async () =>
        {
            for (var i = 0; i < keys; i++)
            {
                keyIds[i] = PeerId.Random(random);
                publishers[i] = net.RandomLive(random);
                var accepted = (await net.Nodes[publishers[i]].PutAsync(keyIds[i], Encoding.UTF8.GetBytes("value " + i), CancellationToken.None)).StoredOn;
                Assert.True(accepted >= k - 1, $"put {i} was accepted by {accepted} of {k}");
            }

            found = await GetAllAsync(net, keyIds, publishers, getsPerKey, random);
        }, HangGuard);
        var putGet = (double)found / (keys * getsPerKey);
        output.WriteLine($"put/get: {putGet:P2} of {keys * getsPerKey} gets found the value; wall {wall.Elapsed}");
        Assert.True(putGet >= 0.999, $"only {putGet:P2} of gets found the value");

        // A fifth of the nodes fail at once (never a publisher, so the publisher's copy proves nothing).
        var killed = 0;
        while (killed < NodeCount / 5)
        {
            var victim = random.Next(NodeCount);
            if (!net.Dead[victim] && Array.IndexOf(publishers, victim) < 0)
            {
                net.Kill(victim);
                killed++;
            }
        }

        net.Net.Run(async () => found = await GetAllAsync(net, keyIds, publishers, getsPerKey, random), HangGuard);
        var afterFailure = (double)found / (keys * getsPerKey);
        output.WriteLine($"after {killed} nodes failed: {afterFailure:P2} of gets found the value; wall {wall.Elapsed}");
        Assert.True(afterFailure >= 0.99, $"only {afterFailure:P2} of gets found the value after failures");
    }

    [Fact]
    public void Providers_AddedByTwoNodes_AreFoundByAnother()
    {
        using var net = new DhtTestNetwork(30, seed: 31, SharedLatency.PlanetLab, DhtTestNetwork.DefaultOptions());
        net.Form(concurrency: 8);
        var key = PeerId.Random(new Random(32));
        var other = PeerId.Random(new Random(33));
        IReadOnlyList<ProviderRecord>? providers = null;
        IReadOnlyList<ProviderRecord>? none = null;
        net.Net.Run(async () =>
        {
            Assert.True(await net.Nodes[3].AddProviderAsync(key, CancellationToken.None) >= net.Options.K - 1);
            Assert.True(await net.Nodes[4].AddProviderAsync(key, CancellationToken.None) >= net.Options.K - 1);
            providers = await net.Nodes[20].GetProvidersAsync(key, CancellationToken.None);
            none = await net.Nodes[20].GetProvidersAsync(other, CancellationToken.None);
        });
        var found = new HashSet<PeerId>();
        foreach (var p in providers!)
        {
            Assert.Equal(key, p.Key);
            found.Add(p.Provider);
        }

        Assert.Equal(2, providers!.Count);
        Assert.Equal(new HashSet<PeerId> { net.Nodes[3].Id, net.Nodes[4].Id }, found);
        Assert.Empty(none!);
    }

    [Fact]
    public void Network_SameSeedTwice_GivesTheSameRun()
    {
        var first = Scenario(5);
        var second = Scenario(5);
        Assert.Equal(first.Count, second.Count);
        Assert.Equal(first, second);
        Assert.NotEqual(first, Scenario(6));
    }

    private static List<string> Scenario(int seed)
    {
        using var net = new DhtTestNetwork(40, seed, SharedLatency.PlanetLab, DhtTestNetwork.DefaultOptions(), recordEvents: true);
        net.Form(concurrency: 8);
        var random = new Random(seed);
        var log = new List<string>();
        net.Net.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var result = await net.Nodes[random.Next(40)].FindClosestAsync(PeerId.Random(random), CancellationToken.None);
                log.Add(string.Create(CultureInfo.InvariantCulture, $"{net.Clock.Elapsed.Ticks} {result.Hops} {result.Requests} {result.Closest[0].Id}"));
            }
        });
        log.AddRange(net.Net.EventLog);
        return log;
    }

    /// <summary>Gets every key from <paramref name="getsPerKey"/> random live nodes other than its publisher, one key's gets in flight at once.</summary>
    private static async Task<int> GetAllAsync(DhtTestNetwork net, PeerId[] keys, int[] publishers, int getsPerKey, Random random)
    {
        var found = 0;
        var gets = new Task<DhtRecord?>[getsPerKey];
        for (var i = 0; i < keys.Length; i++)
        {
            for (var g = 0; g < getsPerKey; g++)
            {
                int from;
                do
                {
                    from = net.RandomLive(random);
                }
                while (from == publishers[i]);
                gets[g] = net.Nodes[from].GetAsync(keys[i], CancellationToken.None);
            }

            foreach (var record in await Task.WhenAll(gets))
            {
                found += record is not null && Encoding.UTF8.GetString(record.Value.Span) == "value " + i ? 1 : 0;
            }
        }

        return found;
    }

    private static string Histogram(int[] hops)
    {
        var counts = new SortedDictionary<int, int>();
        foreach (var h in hops)
        {
            counts[h] = counts.GetValueOrDefault(h) + 1;
        }

        var sorted = (int[])hops.Clone();
        Array.Sort(sorted);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"p50={sorted[sorted.Length / 2]} p99={sorted[(int)(sorted.Length * 0.99)]} ");
        foreach (var (h, c) in counts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[{h}]={c} ");
        }

        return sb.ToString();
    }
}
