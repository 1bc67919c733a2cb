using System.Buffers;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Dht.Wire;
using Overlay.Transport;

namespace Overlay.Dht.Tests;

/// <summary>
/// S/Kademlia disjoint lookup paths (§4.4) against adversaries that run on the real transport contract:
/// a fifth of the nodes serve the DHT protocol through <see cref="AdversarialHandler"/>, an
/// <see cref="IProtocolHandler"/> on the in-memory network that answers PING honestly (so it stays in
/// routing tables), swallows STOREs while claiming to keep them, and answers FIND_NODE and FIND_VALUE
/// with lies: the farthest peers it knows of, only fellow adversaries close to the target, or garbage.
/// </summary>
public class AdversarialNetworkTests(ITestOutputHelper output)
{
    private const int NodeCount = 150;
    private const int EveryNth = 5;

    public enum Behaviour
    {
        FarContacts,
        Colluding,
        Garbage,
    }

    [Fact]
    public void Lookup_WithAFifthOfNodesAdversarial_DisjointPathsStillFindClosestAndValues()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.DisjointPaths = 4;
        var directory = new Directory();
        using var net = new DhtTestNetwork(NodeCount, seed: 17, SharedLatency.PlanetLab, options, wrapHandler: (i, real) =>
            i % EveryNth == EveryNth - 1 ? new AdversarialHandler(real, (Behaviour)(i / EveryNth % 3), directory, options, new Random(i)) : real);
        var adversarial = new bool[NodeCount];
        for (var i = 0; i < NodeCount; i++)
        {
            adversarial[i] = i % EveryNth == EveryNth - 1;
        }

        var wall = System.Diagnostics.Stopwatch.StartNew();
        net.Form();
        output.WriteLine($"formed: virtual {net.Clock.Elapsed}, wall {wall.Elapsed}");
        for (var i = 0; i < NodeCount; i++)
        {
            directory.Add(net.Nodes[i].Id, net.Nodes[i].Address!, adversarial[i]);
        }

        var random = new Random(5);
        int Honest()
        {
            int i;
            do
            {
                i = random.Next(NodeCount);
            }
            while (adversarial[i]);
            return i;
        }

        // Lookups: does the result hold the honest node closest to the target?
        const int lookups = 150;
        var found = 0;
        var honestInK = 0.0;
        net.Net.Run(async () =>
        {
            for (var l = 0; l < lookups; l++)
            {
                var target = PeerId.Random(random);
                var from = Honest();
                var result = await net.Nodes[from].FindClosestAsync(target, CancellationToken.None);
                var truth = TrueClosestHonest(net, adversarial, target, options.K, from);
                var hits = 0;
                var closest = false;
                foreach (var p in result.Closest)
                {
                    hits += truth.Contains(p.Id) ? 1 : 0;
                    closest |= p.Id == truth[0];
                }

                found += closest ? 1 : 0;
                honestInK += hits / (double)options.K;
            }
        }, TimeSpan.FromMinutes(2));

        output.WriteLine($"lookups: virtual {net.Clock.Elapsed}, wall {wall.Elapsed}");

        // Values: put by honest nodes, read by other honest nodes.
        const int keys = 20;
        const int getsPerKey = 5;
        var got = 0;
        net.Net.Run(async () =>
        {
            for (var k = 0; k < keys; k++)
            {
                var key = PeerId.Random(random);
                var publisher = Honest();
                var value = BitConverter.GetBytes(k);
                await net.Nodes[publisher].PutAsync(key, value, CancellationToken.None);
                for (var g = 0; g < getsPerKey; g++)
                {
                    int reader;
                    do
                    {
                        reader = Honest();
                    }
                    while (reader == publisher);
                    var record = await net.Nodes[reader].GetAsync(key, CancellationToken.None);
                    got += record is not null && record.Value.Span.SequenceEqual(value) ? 1 : 0;
                }
            }
        }, TimeSpan.FromMinutes(2));

        output.WriteLine($"values: virtual {net.Clock.Elapsed}, wall {wall.Elapsed}");
        var lookupRate = found / (double)lookups;
        var valueRate = got / (double)(keys * getsPerKey);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{NodeCount} nodes, {NodeCount / EveryNth} adversarial, d = {options.DisjointPaths}: closest honest node found in {lookupRate:P1} of {lookups} lookups " +
            $"(mean share of the k closest honest nodes found {honestInK / lookups:P1}); values found in {valueRate:P1} of {keys * getsPerKey} gets; lies answered {directory.Lies}"));
        Assert.True(directory.Lies > 0, "no adversary was ever asked");
        Assert.True(lookupRate >= 0.95, $"closest honest node found in only {lookupRate:P1} of lookups");
        Assert.True(valueRate >= 0.95, $"values found in only {valueRate:P1} of gets");
    }

    private static List<PeerId> TrueClosestHonest(DhtTestNetwork net, bool[] adversarial, PeerId target, int k, int except)
    {
        var honest = new List<PeerId>();
        for (var i = 0; i < net.Nodes.Count; i++)
        {
            if (!adversarial[i] && i != except)
            {
                honest.Add(net.Nodes[i].Id);
            }
        }

        honest.Sort((a, b) => a.Xor(target).CompareTo(b.Xor(target)));
        return honest.GetRange(0, Math.Min(k, honest.Count));
    }

    /// <summary>Every node's id and address, as an adversary that crawled the network would know them.</summary>
    private sealed class Directory
    {
        public List<DhtPeer> All { get; } = [];

        public List<DhtPeer> Adversaries { get; } = [];

        public int Lies { get; set; }

        public void Add(PeerId id, string address, bool adversarial)
        {
            var peer = new DhtPeer(id, address, default);
            All.Add(peer);
            if (adversarial)
            {
                Adversaries.Add(peer);
            }
        }
    }

    private sealed class AdversarialHandler(IProtocolHandler real, Behaviour behaviour, Directory directory, DhtOptions options, Random random) : IProtocolHandler
    {
        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            if (!DhtMessageCodec.TryDecode(request.Span, options, out var message, out _) || message.Type == DhtMessageType.Ping)
            {
                return real.HandleRequestAsync(connection, request, response, cancellationToken);
            }

            directory.Lies++;
            if (message.Type == DhtMessageType.Store)
            {
                DhtMessageCodec.WriteStored(response, default, 1, Records.RecordRejection.None);
                return ValueTask.CompletedTask;
            }

            if (behaviour == Behaviour.Garbage)
            {
                var bytes = new byte[1 + random.Next(64)];
                random.NextBytes(bytes);
                response.Write(bytes);
                return ValueTask.CompletedTask;
            }

            // Sorted nearest first, as honest answers are, so the format checks alone cannot catch the lie.
            var pool = behaviour == Behaviour.Colluding ? directory.Adversaries : directory.All;
            var sorted = pool.ToArray();
            Array.Sort(sorted, (a, b) => a.Id.Xor(message.Target).CompareTo(b.Id.Xor(message.Target)));
            var n = Math.Min(options.K, sorted.Length);
            var contacts = behaviour == Behaviour.Colluding ? sorted[..n] : sorted[^n..];
            if (message.Type == DhtMessageType.FindValue)
            {
                DhtMessageCodec.WriteValue(response, default, 1, null, [], contacts);
            }
            else
            {
                DhtMessageCodec.WriteNodes(response, default, 1, contacts);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
            real.HandleMessageAsync(connection, message, cancellationToken);

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
            real.HandleStreamAsync(connection, stream, cancellationToken);
    }
}
