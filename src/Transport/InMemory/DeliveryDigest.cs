using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Transport.InMemory;

/// <summary>
/// A BLAKE3 digest of every segment an <see cref="InMemoryNetwork"/> delivered, in order: virtual time
/// in ticks, sending and receiving node, kind and length. Two runs with one digest delivered the same
/// segments at the same virtual times; it is what two processes compare to show that one seed gives one
/// run, without keeping millions of events in memory. Not thread-safe, like the network.
/// </summary>
public sealed class DeliveryDigest
{
    private const int EventBytes = 21;
    private readonly Blake3Hasher _hasher = Blake3Hasher.Create();
    private readonly byte[] _buffer = new byte[EventBytes * 3072];
    private int _used;

    /// <summary>Deliveries digested so far.</summary>
    public long Count { get; private set; }

    /// <summary>The digest of the deliveries so far, as 64 lower-case hex digits; more may follow.</summary>
    public string ToHex()
    {
        Flush();
        Span<byte> hash = stackalloc byte[32];
        _hasher.Finalize(hash);
        return Convert.ToHexStringLower(hash);
    }

    internal void Add(long ticks, int from, int to, byte kind, int bytes)
    {
        if (_used + EventBytes > _buffer.Length)
        {
            Flush();
        }

        var e = _buffer.AsSpan(_used, EventBytes);
        BinaryPrimitives.WriteInt64LittleEndian(e, ticks);
        BinaryPrimitives.WriteInt32LittleEndian(e[8..], from);
        BinaryPrimitives.WriteInt32LittleEndian(e[12..], to);
        e[16] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(e[17..], bytes);
        _used += EventBytes;
        Count++;
    }

    // Hashing in blocks keeps the per-delivery cost to a few stores.
    private void Flush()
    {
        _hasher.Update(_buffer.AsSpan(0, _used));
        _used = 0;
    }
}
