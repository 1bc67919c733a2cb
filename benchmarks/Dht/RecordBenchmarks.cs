using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Records;

namespace Overlay.Benchmarks.Dht;

/// <summary>Memory per stored record, and codec speed.</summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DhtOptions _options = new() { MaxRecords = 1_000_000 };
    private readonly byte[] _publicKey = new byte[32];
    private readonly byte[] _value = new byte[100];
    private PeerId[] _keys = [];
    private byte[] _encoded = [];
    private byte[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(9);
        random.NextBytes(_publicKey);
        random.NextBytes(_value);
        _keys = new PeerId[1000];
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = PeerId.Random(random);
        }

        var record = DhtRecord.Create(_keys[0], _value, _publicKey, 1, T0.AddHours(1), Blake3MacVerifier.Sign(_publicKey));
        _encoded = RecordEncoding.Encode(record);
        _buffer = new byte[_encoded.Length];
    }

    /// <summary>
    /// Allocated bytes ÷ 1000 = bytes per stored record: 100-byte value, 32-byte key, 32-byte MAC as
    /// signature, the record object and the store's entry and dictionary slot.
    /// </summary>
    [Benchmark(Description = "Store 1000 records (100 B value, 32 B key, 32 B signature)")]
    public int Store1000()
    {
        var store = new RecordStore(_options, new RecordValidator(_options, new Blake3MacVerifier()));
        var sign = Blake3MacVerifier.Sign(_publicKey);
        for (var i = 0; i < _keys.Length; i++)
        {
            var record = DhtRecord.Create(_keys[i], _value, _publicKey, 1, T0.AddHours(1), sign);
            store.Put(record, T0);
        }

        return store.Count;
    }

    [Benchmark(Description = "TryDecode value record (100 B value)")]
    public bool Decode() => RecordEncoding.TryDecode(_encoded, _options, out _, out _, out _);

    [Benchmark(Description = "Encode value record into buffer")]
    public int Encode()
    {
        RecordEncoding.TryDecode(_encoded, _options, out var record, out _, out _);
        return RecordEncoding.Encode(record!, _buffer);
    }

    /// <summary>
    /// BLAKE3 over key ‖ payload as a MAC keyed by the "public key": a real check that costs what hashing
    /// costs, so the benchmark measures the store, not a signature scheme.
    /// </summary>
    private sealed class Blake3MacVerifier : IRecordSignatureVerifier
    {
        public static Func<byte[], byte[]> Sign(byte[] key) => payload =>
        {
            var mac = new byte[32];
            Mac(key, payload, mac);
            return mac;
        };

        public bool IsKeyOf(ReadOnlySpan<byte> publicKey, PeerId peer) => true;

        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        {
            Span<byte> mac = stackalloc byte[32];
            Mac(publicKey, message, mac);
            return mac.SequenceEqual(signature);
        }

        // The records here are a few hundred bytes, so the concatenation fits on the stack.
        private static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, Span<byte> mac)
        {
            Span<byte> input = stackalloc byte[key.Length + payload.Length];
            key.CopyTo(input);
            payload.CopyTo(input[key.Length..]);
            Blake3.Hash(input, mac);
        }
    }
}
