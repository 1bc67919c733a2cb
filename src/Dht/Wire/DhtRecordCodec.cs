using System.Buffers.Binary;
using Overlay.Dht.Records;

namespace Overlay.Dht.Wire;

/// <summary>
/// The parts of DHT messages that carry records (docs/PROTOCOL.md, "DHT messages"): the record field of
/// STORE and VALUE (a uint32 length, 0 for none, then one encoded record; in a STORE it may be a provider
/// batch) and VALUE's provider list (a uint16 count, then each provider record behind a uint16 length).
/// The records' own bytes are <see cref="RecordEncoding"/>'s and <see cref="ProviderBatchEncoding"/>'s;
/// <see cref="DhtMessageCodec"/> frames the messages around these parts. The readers never throw on
/// untrusted bytes.
/// </summary>
internal static class DhtRecordCodec
{
    // A record field that carries nothing (a VALUE answer from a node that holds no record) is its length alone.
    internal const int EmptyFieldLength = 4;

    internal static int FieldLength(DhtRecord record) => 4 + RecordEncoding.EncodedLength(record);

    internal static int FieldLength(ProviderRecord record) => 4 + RecordEncoding.EncodedLength(record);

    internal static int FieldLength(ProviderBatch batch) => 4 + ProviderBatchEncoding.EncodedLength(batch);

    // The writers return the bytes written, the length prefix included.
    internal static int WriteEmptyField(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0);
        return EmptyFieldLength;
    }

    internal static int WriteField(Span<byte> destination, DhtRecord record)
    {
        var n = RecordEncoding.Encode(record, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)n);
        return 4 + n;
    }

    internal static int WriteField(Span<byte> destination, ProviderRecord record)
    {
        var n = RecordEncoding.Encode(record, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)n);
        return 4 + n;
    }

    internal static int WriteField(Span<byte> destination, ProviderBatch batch)
    {
        var n = ProviderBatchEncoding.Encode(batch, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)n);
        return 4 + n;
    }

    internal static int ProvidersLength(ReadOnlySpan<ProviderRecord> providers)
    {
        var length = 2;
        foreach (var p in providers)
        {
            length += 2 + RecordEncoding.EncodedLength(p);
        }

        return length;
    }

    internal static int WriteProviders(Span<byte> destination, ReadOnlySpan<ProviderRecord> providers)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)providers.Length);
        var at = 2;
        foreach (var p in providers)
        {
            var n = RecordEncoding.Encode(p, destination[(at + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)n);
            at += 2 + n;
        }

        return at;
    }

    // The record field of a VALUE answer. In an answer a batch is not a record: only a STORE carries one.
    internal static bool TryReadField(ref ReadOnlySpan<byte> rest, DhtOptions options, out DhtRecord? record, out ProviderRecord? provider, out DhtWireError error)
    {
        var read = TryReadField(ref rest, options, out record, out provider, out var batch, out error, out _);
        if (read && batch is not null)
        {
            error = DhtWireError.BadRecord;
            return false;
        }

        return read;
    }

    // The record field of a STORE request; an empty field reads as no record at all.
    internal static bool TryReadField(
        ref ReadOnlySpan<byte> rest, DhtOptions options, out DhtRecord? record, out ProviderRecord? provider, out ProviderBatch? batch, out DhtWireError error, out RecordDecodeError recordError)
    {
        recordError = RecordDecodeError.None;
        record = null;
        provider = null;
        batch = null;
        if (rest.Length < 4)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(rest);
        rest = rest[4..];
        if (length == 0)
        {
            error = DhtWireError.None;
            return true;
        }

        // Compared as unsigned before slicing, so a huge declared length cannot overflow or allocate.
        if (length > (uint)rest.Length)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        if (!RecordEncoding.TryDecode(rest[..(int)length], options, out record, out provider, out batch, out recordError))
        {
            error = DhtWireError.BadRecord;
            return false;
        }

        rest = rest[(int)length..];
        error = DhtWireError.None;
        return true;
    }

    // VALUE's provider list: at most MaxProvidersPerKey entries, each a provider record and nothing else.
    internal static bool TryReadProviders(ref ReadOnlySpan<byte> rest, DhtOptions options, out ProviderRecord[] providers, out DhtWireError error)
    {
        providers = [];
        if (rest.Length < 2)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        int providerCount = BinaryPrimitives.ReadUInt16BigEndian(rest);
        rest = rest[2..];
        if (providerCount > options.MaxProvidersPerKey)
        {
            error = DhtWireError.TooManyEntries;
            return false;
        }

        var read = providerCount == 0 ? [] : new ProviderRecord[providerCount];
        for (var i = 0; i < providerCount; i++)
        {
            if (rest.Length < 2)
            {
                error = DhtWireError.TooShort;
                return false;
            }

            int n = BinaryPrimitives.ReadUInt16BigEndian(rest);
            rest = rest[2..];
            if (rest.Length < n)
            {
                error = DhtWireError.TooShort;
                return false;
            }

            if (!RecordEncoding.TryDecode(rest[..n], options, out var value, out var provider, out _))
            {
                error = DhtWireError.BadRecord;
                return false;
            }

            if (provider is null || value is not null)
            {
                error = DhtWireError.WrongRecordKind;
                return false;
            }

            read[i] = provider;
            rest = rest[n..];
        }

        providers = read;
        error = DhtWireError.None;
        return true;
    }
}
