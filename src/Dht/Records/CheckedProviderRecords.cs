using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// The provider records whose key and signature this node has already checked, so a record that arrives again
/// (a lookup meets the same signed record in up to one answer per peer it asks) costs one BLAKE3 hash instead of a
/// hybrid Ed25519 + ML-DSA verification. Keyed by the BLAKE3 of the exact signed bytes (the signing payload, which
/// holds key, provider, expiry and public key, and the signature): any record that differs in one bit, such as a
/// forgery naming the same provider and key, misses and is checked in full. Only records that passed are kept;
/// each is kept until its own expiry (the caller's clock), and at most <see cref="Capacity"/> of them, the least
/// recently used leaving first. Thread-safe.
/// </summary>
public sealed class CheckedProviderRecords
{
    /// <summary>Records kept when none is said: about 100 bytes each.</summary>
    public const int DefaultCapacity = 4096;

    private readonly Dictionary<Digest, LinkedListNode<(Digest Key, long ExpiresUnixMs)>> _entries;
    private readonly LinkedList<(Digest Key, long ExpiresUnixMs)> _recency = new();
    private readonly object _gate = new();
    private long _hits;
    private long _misses;

    /// <summary>Creates an empty set of at most <paramref name="capacity"/> records (0: nothing is kept).</summary>
    public CheckedProviderRecords(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        // Grown as records arrive: a node that meets no provider records (most of them, most of the time)
        // would otherwise hold an empty 1,024-entry table, 53 KB, for nothing.
        _entries = new();
    }

    /// <summary>Most records kept.</summary>
    public int Capacity { get; }

    /// <summary>Checks answered from the set so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Checks that had to verify the signature so far.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Records kept now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Only for tests: key by the provider's id alone, the mistake the exact-bytes key exists to avoid (a forged
    /// record naming a provider whose genuine record was checked would then pass unchecked).
    /// </summary>
    internal bool KeyByProviderOnly { get; init; }

    /// <summary>
    /// The key of <paramref name="record"/> from <paramref name="signed"/>: the signing payload's length (4 bytes,
    /// big-endian, so the boundary between payload and signature is part of what is hashed), the payload and the
    /// signature, as one buffer.
    /// </summary>
    internal Digest KeyOf(ProviderRecord record, ReadOnlySpan<byte> signed) => KeyOf(record.Provider, signed);

    /// <summary>The key of signed bytes from <paramref name="provider"/> (a single record's or a batch's, told apart by their signing contexts).</summary>
    internal Digest KeyOf(PeerId provider, ReadOnlySpan<byte> signed)
    {
        Span<byte> hash = stackalloc byte[Blake3.HashSize];
        if (KeyByProviderOnly)
        {
            provider.WriteTo(hash);
        }
        else
        {
            Blake3.Hash(signed, hash);
        }

        return new Digest(
            BinaryPrimitives.ReadUInt64BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[16..]), BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));
    }

    /// <summary>True when the record of <paramref name="key"/> was checked and has not expired at <paramref name="nowUnixMs"/>; counts a hit or a miss.</summary>
    internal bool Contains(Digest key, long nowUnixMs)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                if (node.Value.ExpiresUnixMs > nowUnixMs)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    _hits++;
                    return true;
                }

                _recency.Remove(node);
                _entries.Remove(key);
            }

            _misses++;
            return false;
        }
    }

    /// <summary>Keeps the record of <paramref name="key"/>, which passed, until <paramref name="expiresUnixMs"/>.</summary>
    internal void Add(Digest key, long expiresUnixMs)
    {
        if (Capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_entries.ContainsKey(key))
            {
                return;
            }

            if (_entries.Count >= Capacity && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }

            _entries.Add(key, _recency.AddFirst((key, expiresUnixMs)));
        }
    }

    /// <summary>A 32-byte BLAKE3 digest as four words: equality and hashing without an array.</summary>
    internal readonly record struct Digest(ulong W0, ulong W1, ulong W2, ulong W3);
}
