using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// A holder's signed promise to keep a shard for its owner until an expiry (docs/PROTOCOL.md,
/// "Storage receipts"). The owner keeps it as proof; anyone can check it with the holder key it carries.
/// </summary>
public sealed class StorageReceipt
{
    /// <summary>The encoding's version byte.</summary>
    public const byte Version = 1;

    /// <summary>Bytes before the holder key: version, id, size, holder, owner, expiry, sequence, key length.</summary>
    private const int FixedBytes = 1 + 32 + 4 + 32 + 32 + 8 + 8 + 2;

    private static readonly byte[] SigningPrefix = Encoding.ASCII.GetBytes("overlay/shard/receipt");

    private readonly byte[] _signature;

    private StorageReceipt(ShardId shard, int size, PeerId holder, PeerId owner, DateTimeOffset expiresAt, ulong sequence, IdentityPublicKey holderKey, byte[] signature)
    {
        Shard = shard;
        Size = size;
        Holder = holder;
        Owner = owner;
        ExpiresAt = expiresAt;
        Sequence = sequence;
        HolderKey = holderKey;
        _signature = signature;
    }

    /// <summary>The shard kept.</summary>
    public ShardId Shard { get; }

    /// <summary>The shard's length in bytes.</summary>
    public int Size { get; }

    /// <summary>The node that keeps it (the signer).</summary>
    public PeerId Holder { get; }

    /// <summary>The identity it is kept for.</summary>
    public PeerId Owner { get; }

    /// <summary>Until when the holder keeps it (millisecond precision).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The holder's issue counter for this receipt: a later receipt for the same shard and owner has a higher one.</summary>
    public ulong Sequence { get; }

    /// <summary>The holder's public key; its PeerId is <see cref="Holder"/>.</summary>
    public IdentityPublicKey HolderKey { get; }

    /// <summary>The holder's signature over the signing payload.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>Signs a receipt as <paramref name="holder"/>.</summary>
    public static StorageReceipt Issue(NodeIdentity holder, ShardId shard, int size, PeerId owner, DateTimeOffset expiresAt, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var expiry = DateTimeOffset.FromUnixTimeMilliseconds(expiresAt.ToUnixTimeMilliseconds());
        var unsigned = new StorageReceipt(shard, size, holder.PeerId, owner, expiry, sequence, holder.PublicKey, []);
        return new StorageReceipt(shard, size, holder.PeerId, owner, expiry, sequence, holder.PublicKey, holder.Sign(unsigned.SigningPayload()));
    }

    /// <summary>The receipt's encoding: the signed fields, then a 2-byte signature length and the signature.</summary>
    public byte[] Encode()
    {
        var body = SignedFields();
        var bytes = new byte[body.Length + 2 + _signature.Length];
        body.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(body.Length), (ushort)_signature.Length);
        _signature.CopyTo(bytes, body.Length + 2);
        return bytes;
    }

    /// <summary>
    /// Decodes a receipt from untrusted bytes without checking its signature (see <see cref="Check"/>).
    /// Refuses an unknown version, a holder key that does not decode or whose PeerId is not the holder
    /// field, a signature length other than the key's scheme makes, and trailing bytes.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out StorageReceipt? receipt, out ShardWireError error)
    {
        receipt = null;
        if (bytes.Length < FixedBytes)
        {
            error = bytes.IsEmpty ? ShardWireError.Empty : ShardWireError.Truncated;
            return false;
        }

        if (bytes[0] != Version)
        {
            error = ShardWireError.UnsupportedVersion;
            return false;
        }

        var shard = ShardId.FromBytes(bytes.Slice(1, 32));
        var size = BinaryPrimitives.ReadUInt32BigEndian(bytes[33..]);
        var holder = PeerId.FromBytes(bytes.Slice(37, 32));
        var owner = PeerId.FromBytes(bytes.Slice(69, 32));
        var expiry = BinaryPrimitives.ReadInt64BigEndian(bytes[101..]);
        var sequence = BinaryPrimitives.ReadUInt64BigEndian(bytes[109..]);
        int keyLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[117..]);
        if (expiry is < 0 or > ShardCodec.MaxExpiryMilliseconds)
        {
            error = ShardWireError.ExpiryOutOfRange;
            return false;
        }

        if (size > int.MaxValue)
        {
            error = ShardWireError.SizeOutOfRange;
            return false;
        }

        if (bytes.Length < FixedBytes + keyLength + 2)
        {
            error = ShardWireError.Truncated;
            return false;
        }

        if (!IdentityPublicKey.TryDecode(bytes.Slice(FixedBytes, keyLength), out var key) || key.PeerId != holder)
        {
            error = ShardWireError.BadKey;
            return false;
        }

        var at = FixedBytes + keyLength;
        int signatureLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
        if (signatureLength != key.SignatureSize)
        {
            error = ShardWireError.BadSignatureLength;
            return false;
        }

        if (bytes.Length < at + 2 + signatureLength)
        {
            error = ShardWireError.Truncated;
            return false;
        }

        if (bytes.Length > at + 2 + signatureLength)
        {
            error = ShardWireError.TrailingBytes;
            return false;
        }

        receipt = new StorageReceipt(shard, (int)size, holder, owner, DateTimeOffset.FromUnixTimeMilliseconds(expiry), sequence, key,
            bytes.Slice(at + 2, signatureLength).ToArray());
        error = ShardWireError.None;
        return true;
    }

    /// <summary>
    /// Checks the receipt against what its owner expects: the shard, its size, the owner, and the
    /// holder it asked (null: any holder), then the signature (last: the costliest check).
    /// </summary>
    public ReceiptRejection Check(ShardId shard, int size, PeerId owner, PeerId? holder)
    {
        if (Shard != shard)
        {
            return ReceiptRejection.WrongShard;
        }

        if (Size != size)
        {
            return ReceiptRejection.WrongSize;
        }

        if (Owner != owner)
        {
            return ReceiptRejection.WrongOwner;
        }

        if (holder is { } expected && Holder != expected)
        {
            return ReceiptRejection.WrongHolder;
        }

        return HolderKey.Verify(SigningPayload(), _signature) ? ReceiptRejection.None : ReceiptRejection.BadSignature;
    }

    /// <summary>"overlay/shard/receipt" followed by the encoding up to and including the holder key.</summary>
    private byte[] SigningPayload()
    {
        var body = SignedFields();
        var payload = new byte[SigningPrefix.Length + body.Length];
        SigningPrefix.CopyTo(payload, 0);
        body.CopyTo(payload, SigningPrefix.Length);
        return payload;
    }

    private byte[] SignedFields()
    {
        var key = HolderKey.Encoded;
        var bytes = new byte[FixedBytes + key.Length];
        bytes[0] = Version;
        Shard.WriteTo(bytes.AsSpan(1));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(33), (uint)Size);
        Holder.WriteTo(bytes.AsSpan(37));
        Owner.WriteTo(bytes.AsSpan(69));
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(101), ExpiresAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(109), Sequence);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(117), (ushort)key.Length);
        key.CopyTo(bytes.AsSpan(FixedBytes));
        return bytes;
    }
}
