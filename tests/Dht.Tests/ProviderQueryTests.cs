using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Wire;

namespace Overlay.Dht.Tests;

public class ProviderQueryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task FindProvidersAsync_OneOfTheClosestSlowToAnswer_EndsAfterItsPatience_WithTheOthersAnswers()
    {
        var elapsed = new Dictionary<double, TimeSpan>();
        foreach (var factor in new[] { 3.0, 0.0 })
        {
            var options = new DhtOptions { RequestTimeout = TimeSpan.FromSeconds(5), PeerTimeoutFactor = factor };
            var net = new SimulatedDhtNetwork(300, seed: 40, SharedLatency.PlanetLab, options);
            var validator = new RecordValidator(options, new IdentityRecordVerifier());
            var stores = Enumerable.Range(0, 300).Select(_ => (RecordStore?)new RecordStore(options, validator)).ToArray();
            const int reader = 0;
            var key = PeerId.Random(new Random(41));
            var holder = NodeIdentity.FromRandom(new Random(42));
            var record = SignedProviders.Sign(holder, key, T0.AddHours(1));
            var closest = net.TrueClosest(key, options.K, reader).Select(id => Array.IndexOf(net.Ids, id)).ToArray();
            foreach (var i in closest)
            {
                Assert.Equal(RecordRejection.None, stores[i]!.AddProvider(record, holder.PeerId, T0));
            }

            // One of the k closest answers FIND_NODE at once but takes four seconds over FIND_PROVIDERS; the
            // reader has measured its round trip (under 200 ms), so its patience is 3 × two round trips.
            var slow = closest.First(i => net.Rtt(reader, i) < 200);
            var clock = new ManualTimeProvider(T0);
            var rpc = new InProcessDhtRpc(net, reader, clock, stores);
            rpc.ProviderDelay[slow] = TimeSpan.FromSeconds(4);
            var client = new DhtClient(net.Tables[reader], rpc, options, clock, new DhtClientTests.KnownRtt(net, reader));

            var found = await DhtClientTests.Drive(clock, () => client.FindProvidersAsync(key, CancellationToken.None));
            elapsed[factor] = clock.GetUtcNow() - T0;

            // Every other holder of the announcement answered: the provider is found either way.
            Assert.Equal(holder.PeerId, Assert.Single(found).Provider);
        }

        Assert.True(elapsed[3.0] < TimeSpan.FromSeconds(3), $"with patience the query took {elapsed[3.0]}");
        // The control: without per-peer patience the same query waits for the slow peer's answer.
        Assert.True(elapsed[0.0] >= TimeSpan.FromSeconds(4), $"without patience the query took {elapsed[0.0]}");
    }

    [Fact]
    public async Task FindProvidersAsync_NoPeerMeasured_WaitsForTheSlowPeer_AndUsesItsAnswer()
    {
        var options = new DhtOptions { RequestTimeout = TimeSpan.FromSeconds(5) };
        var net = new SimulatedDhtNetwork(300, seed: 43, SharedLatency.PlanetLab, options);
        var validator = new RecordValidator(options, new IdentityRecordVerifier());
        var stores = Enumerable.Range(0, 300).Select(_ => (RecordStore?)new RecordStore(options, validator)).ToArray();
        const int reader = 0;
        var key = PeerId.Random(new Random(44));
        var holder = NodeIdentity.FromRandom(new Random(45));
        var slow = Array.IndexOf(net.Ids, net.TrueClosest(key, options.K, reader).First());
        // Only the slow peer holds the announcement: a reader with no measurement waits for it.
        Assert.Equal(RecordRejection.None, stores[slow]!.AddProvider(SignedProviders.Sign(holder, key, T0.AddHours(1)), holder.PeerId, T0));
        var clock = new ManualTimeProvider(T0);
        var rpc = new InProcessDhtRpc(net, reader, clock, stores);
        rpc.ProviderDelay[slow] = TimeSpan.FromSeconds(3);
        var client = new DhtClient(net.Tables[reader], rpc, options, clock);

        var found = await DhtClientTests.Drive(clock, () => client.FindProvidersAsync(key, CancellationToken.None));

        Assert.Equal(holder.PeerId, Assert.Single(found).Provider);
        Assert.True(clock.GetUtcNow() - T0 >= TimeSpan.FromSeconds(3));
    }
}
