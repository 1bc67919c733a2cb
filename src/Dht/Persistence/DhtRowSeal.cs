using System.Buffers.Binary;
using System.Security.Cryptography;
using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Persistence;

/// <summary>
/// Seals the record and provider rows a node writes to <c>dht.db</c>: HMAC-SHA256 over the row's fields
/// under a key only this node has (derived from its identity, <see cref="FromIdentity"/>). A row whose
/// seal matches was written by this node after it checked the record, so loading it skips the record's
/// signature check (a hybrid verification and key decode, about 0.25 ms each); a row edited on disk by
/// anyone without the key no longer matches and is checked again like a record from the network, or
/// refused where there is nothing to check. The seal authenticates rows, it does not hide them.
/// Thread-safe; <see cref="Dispose"/> zeroes the key.
/// </summary>
public sealed class DhtRowSeal : IDisposable
{
    /// <summary>Bytes in a seal.</summary>
    public const int Size = 32;

    /// <summary>The context the key is derived under (<see cref="NodeIdentity.DeriveKey"/>).</summary>
    public const string KeyContext = "overlay/dht.db/row-seal/v1";

    // Domain separation: a record row's seal can never be a provider row's, whatever the bytes.
    private static readonly byte[] RecordDomain = "overlay/dht.db/record"u8.ToArray();
    private static readonly byte[] ProviderDomain = "overlay/dht.db/provider"u8.ToArray();

    private readonly byte[] _key;
    private readonly IncrementalHash _hmac;
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Creates a seal from a 32-byte secret key (copied).</summary>
    public DhtRowSeal(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException("A row-seal key is 32 bytes.", nameof(key));
        }

        _key = key.ToArray();
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    /// <summary>The seal of the node with <paramref name="identity"/>: its key is derived from the identity's secret.</summary>
    public static DhtRowSeal FromIdentity(NodeIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        Span<byte> key = stackalloc byte[Size];
        try
        {
            identity.DeriveKey(System.Text.Encoding.ASCII.GetBytes(KeyContext), key);
            return new DhtRowSeal(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Writes the seal of a record row (its key column, local flag and encoded record) into <paramref name="seal"/>.</summary>
    public void SealRecord(ReadOnlySpan<byte> key, bool local, ReadOnlySpan<byte> encoded, Span<byte> seal)
    {
        Span<byte> flag = [local ? (byte)1 : (byte)0];
        Compute(RecordDomain, key, flag, encoded, seal);
    }

    /// <summary>True when <paramref name="seal"/> is the seal of the record row; compared in constant time.</summary>
    public bool RecordMatches(ReadOnlySpan<byte> key, bool local, ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> seal)
    {
        Span<byte> expected = stackalloc byte[Size];
        SealRecord(key, local, encoded, expected);
        return CryptographicOperations.FixedTimeEquals(expected, seal);
    }

    /// <summary>Writes the seal of a provider row (its fields, the provider's key and the signature) into <paramref name="seal"/>.</summary>
    public void SealProvider(ProviderRecord record, bool local, Span<byte> seal)
    {
        ArgumentNullException.ThrowIfNull(record);
        Span<byte> fields = stackalloc byte[(2 * PeerId.Size) + 9];
        record.Key.WriteTo(fields);
        record.Provider.WriteTo(fields[PeerId.Size..]);
        fields[2 * PeerId.Size] = local ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(fields[((2 * PeerId.Size) + 1)..], record.ExpiresUnixMs);
        // An unsigned record (saved before signatures) seals as it did then: both parts empty.
        Compute(ProviderDomain, fields, record.ProviderPublicKey.Span, record.Signature.Span, seal);
    }

    /// <summary>True when <paramref name="seal"/> is the seal of the provider row; compared in constant time.</summary>
    public bool ProviderMatches(ProviderRecord record, bool local, ReadOnlySpan<byte> seal)
    {
        Span<byte> expected = stackalloc byte[Size];
        SealProvider(record, local, expected);
        return CryptographicOperations.FixedTimeEquals(expected, seal);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _hmac.Dispose();
            CryptographicOperations.ZeroMemory(_key);
        }
    }

    private void Compute(ReadOnlySpan<byte> domain, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, Span<byte> seal)
    {
        if (seal.Length != Size)
        {
            throw new ArgumentException("A seal is 32 bytes.", nameof(seal));
        }

        // Each part is length-prefixed, so no two rows feed the MAC the same bytes.
        Span<byte> length = stackalloc byte[4];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _hmac.AppendData(domain);
            AppendPart(a, length);
            AppendPart(b, length);
            AppendPart(c, length);
            _hmac.GetHashAndReset(seal);
        }
    }

    private void AppendPart(ReadOnlySpan<byte> part, Span<byte> length)
    {
        BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
        _hmac.AppendData(length);
        _hmac.AppendData(part);
    }
}
