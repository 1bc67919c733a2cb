using System.Buffers.Binary;
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// Signs a holder's storage receipts and frames them as the success reply of Store, Renew and Pull
/// (status 0, a u16 length, the receipt), with one strictly increasing sequence for all three.
/// </summary>
internal sealed class ReceiptIssuer(NodeIdentity identity)
{
    private long _sequence;

    /// <summary>The reply carrying a fresh receipt for <paramref name="owner"/> keeping <paramref name="id"/> (<paramref name="size"/> bytes) until <paramref name="expiresAt"/>.</summary>
    public byte[] Reply(ShardId id, int size, PeerId owner, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var receipt = StorageReceipt.Issue(identity, id, size, owner, expiresAt, NextSequence(now)).Encode();
        var reply = new byte[3 + receipt.Length];
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(1), (ushort)receipt.Length);
        receipt.CopyTo(reply, 3);
        return reply;
    }

    /// <summary>The refusal (and its sentence) a store failure maps to.</summary>
    public static (ShardRefusal Refusal, string Reason) RefusalOf(StorageErrorReason reason) => reason switch
    {
        StorageErrorReason.IdMismatch => (ShardRefusal.Mismatch, "The bytes do not hash to the shard id announced; nothing was stored."),
        StorageErrorReason.OwnerQuotaExceeded => (ShardRefusal.Quota, "Keeping this shard would pass this node's limit per identity."),
        StorageErrorReason.QuotaExceeded or StorageErrorReason.DiskFull => (ShardRefusal.Quota, "This node's storage is full."),
        StorageErrorReason.ShardTooLarge => (ShardRefusal.Size, "The shard is larger than this node takes."),
        _ => (ShardRefusal.Failed, "This node could not store the shard."),
    };

    // Strictly increasing, and at least the holder's clock in milliseconds, so a restarted holder still issues later sequences.
    private ulong NextSequence(DateTimeOffset now)
    {
        var floor = now.ToUnixTimeMilliseconds();
        while (true)
        {
            var last = Volatile.Read(ref _sequence);
            var next = Math.Max(last + 1, floor);
            if (Interlocked.CompareExchange(ref _sequence, next, last) == last)
            {
                return (ulong)next;
            }
        }
    }
}
