using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// Retained memory per routing-table contact and per stored record. BenchmarkDotNet's allocation
/// column counts garbage too (dictionary resizes, the test MAC's hasher), so the setup measures what
/// stays reachable instead: GC.GetTotalMemory(forceFullCollection: true) before and after building the
/// structure, printed as "FOOTPRINT ..." lines. The benchmark itself times building the structure.
/// </summary>
[MemoryDiagnoser]
public class DhtMemoryFootprint
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private PeerId _self;
    private PeerId[] _ids = [];
    private DhtRecord[] _records = [];
    private object? _keepAlive;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        _self = PeerId.Random(random);
        var probe = new RoutingTable(_self, new DhtOptions(), T0);
        _ids = new PeerId[5000];
        for (var i = 0; i < _ids.Length; i++)
        {
            _ids[i] = probe.RandomIdInBucket(i / 20, random);
        }

        var before = GC.GetTotalMemory(true);
        var table = BuildTable();
        var after = GC.GetTotalMemory(true);
        Console.WriteLine($"FOOTPRINT routing table: {table.Count} contacts, {(after - before) / (double)table.Count:F0} bytes per contact (distinct /24 groups, K=20, empty replacement caches)");
        _keepAlive = table;

        // As a node holds them: each contact with its dialable address string, as decoded from the wire.
        before = GC.GetTotalMemory(true);
        var addressed = BuildTable(withAddresses: true);
        after = GC.GetTotalMemory(true);
        Console.WriteLine($"FOOTPRINT routing table with addresses: {addressed.Count} contacts, {(after - before) / (double)addressed.Count:F0} bytes per contact (\"tcp://10.x.y.z:4001\", 19-21 characters)");
        GC.KeepAlive(addressed);

        var options = new DhtOptions { MaxRecords = 1_000_000 };
        var publicKey = new byte[32];
        var value = new byte[100];
        random.NextBytes(publicKey);
        random.NextBytes(value);
        _records = new DhtRecord[10_000];
        var signature = new byte[64];
        for (var i = 0; i < _records.Length; i++)
        {
            random.NextBytes(signature);
            _records[i] = new DhtRecord(PeerId.Random(random), value, publicKey, 1, T0.AddHours(1), signature);
        }

        var store = new RecordStore(options, new RecordValidator(options, new AcceptingVerifier()));
        before = GC.GetTotalMemory(true);
        foreach (var r in _records)
        {
            store.Put(r, T0);
        }

        after = GC.GetTotalMemory(true);
        Console.WriteLine($"FOOTPRINT record store overhead: {(after - before) / (double)store.Count:F0} bytes per record (entry + dictionary slot)");

        var rawBefore = GC.GetTotalMemory(true);
        var copies = new DhtRecord[10_000];
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = new DhtRecord(_records[i].Key, value, publicKey, 1, T0.AddHours(1), signature);
        }

        var rawAfter = GC.GetTotalMemory(true);
        Console.WriteLine($"FOOTPRINT record object: {(rawAfter - rawBefore) / (double)copies.Length:F0} bytes per record (100 B value, 32 B key, 64 B signature, array slot included)");
        GC.KeepAlive(copies);

        // A record as this node signs it: hybrid publisher key and signature (Ed25519 + ML-DSA-65).
        using var identity = NodeIdentity.FromRandom(new Random(3));
        var hybridStore = new RecordStore(options, new RecordValidator(options, new AcceptingVerifier()));
        var template = DhtRecord.Create(PeerId.Random(random), value, identity.PublicKey.Encoded, 1, T0.AddHours(1), p => identity.Sign(p));
        before = GC.GetTotalMemory(true);
        for (var i = 0; i < 2_000; i++)
        {
            hybridStore.Put(new DhtRecord(PeerId.Random(random), value, template.PublisherPublicKey.Span, 1, T0.AddHours(1), template.Signature.Span), T0);
        }

        after = GC.GetTotalMemory(true);
        Console.WriteLine($"FOOTPRINT stored hybrid record: {(after - before) / (double)hybridStore.Count:F0} bytes per record (100 B value, {template.PublisherPublicKey.Length} B key, {template.Signature.Length} B signature, store entry included)");
        GC.KeepAlive(hybridStore);
        GC.KeepAlive(store);
    }

    [Benchmark(Description = "Build routing table, 5000 contacts")]
    public int Build() => BuildTable().Count;

    private RoutingTable BuildTable(bool withAddresses = false)
    {
        var table = new RoutingTable(_self, new DhtOptions { MaxContactsPerGroupInTable = 10 }, T0);
        for (var i = 0; i < _ids.Length; i++)
        {
            var address = withAddresses ? $"tcp://10.{(i >> 8) & 255}.{i & 255}.1:4001" : null;
            table.Observe(_ids[i], new NetworkGroup(0x0400000000000000UL | (uint)i), T0, double.NaN, address);
        }

        return table;
    }

    // Signature checks are outside what this measures; the records carry random bytes as signatures.
    private sealed class AcceptingVerifier : IRecordSignatureVerifier
    {
        public bool IsKeyOf(ReadOnlySpan<byte> publicKey, PeerId peer) => true;

        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => true;
    }
}
