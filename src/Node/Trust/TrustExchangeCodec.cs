using System.Buffers;
using System.Buffers.Binary;
using Overlay.Crypto;

namespace Overlay.Node.Trust;

/// <summary>
/// Encodes and decodes <c>trust/1</c> requests and answers (docs/PROTOCOL.md, "Trust protocol"), big-endian.
/// Decoding never throws: every count and length is checked against its limit and against the bytes left
/// before anything is read or allocated. Each list has one encoding (issuers strictly ascending), so a
/// decoder never has to merge duplicates.
/// </summary>
public static class TrustExchangeCodec
{
    /// <summary>Request type: list the records held, by issuer, after an optional cursor.</summary>
    public const byte InventoryType = 1;

    /// <summary>Request type: send the records of the issuers listed.</summary>
    public const byte RecordsType = 2;

    /// <summary>Most entries in one INVENTORY answer (40 bytes each: about 80 KB).</summary>
    public const int MaxInventoryEntries = 2048;

    /// <summary>Most issuers asked for in one RECORDS request.</summary>
    public const int MaxRecordsPerRequest = 16;

    private const int InventoryEntrySize = PeerId.Size + 8;
    private const int WantSize = PeerId.Size + 1;

    /// <summary>An INVENTORY request for the issuers after <paramref name="after"/> (from the first when null).</summary>
    public static byte[] InventoryRequest(PeerId? after)
    {
        var bytes = new byte[after is null ? 2 : 2 + PeerId.Size];
        bytes[0] = InventoryType;
        if (after is { } cursor)
        {
            bytes[1] = 1;
            cursor.WriteTo(bytes.AsSpan(2));
        }

        return bytes;
    }

    /// <summary>A RECORDS request; <paramref name="wants"/> must be in strictly ascending issuer order, 1 to <see cref="MaxRecordsPerRequest"/> of them.</summary>
    public static byte[] RecordsRequest(IReadOnlyList<TrustRecordWant> wants)
    {
        ArgumentNullException.ThrowIfNull(wants);
        if (wants.Count is 0 or > MaxRecordsPerRequest)
        {
            throw new ArgumentException($"A RECORDS request names 1 to {MaxRecordsPerRequest} issuers, not {wants.Count}.", nameof(wants));
        }

        var bytes = new byte[2 + (WantSize * wants.Count)];
        bytes[0] = RecordsType;
        bytes[1] = (byte)wants.Count;
        for (var i = 0; i < wants.Count; i++)
        {
            if (i > 0 && wants[i].Issuer.CompareTo(wants[i - 1].Issuer) <= 0)
            {
                throw new ArgumentException("The issuers of a RECORDS request must be strictly ascending.", nameof(wants));
            }

            var at = 2 + (WantSize * i);
            wants[i].Issuer.WriteTo(bytes.AsSpan(at));
            bytes[at + PeerId.Size] = wants[i].WantKey ? (byte)1 : (byte)0;
        }

        return bytes;
    }

    /// <summary>Reads an INVENTORY request's cursor; false when <paramref name="request"/> is not exactly one.</summary>
    public static bool TryReadInventoryRequest(ReadOnlySpan<byte> request, out PeerId? after)
    {
        after = null;
        if (request.Length == 2 && request[0] == InventoryType && request[1] == 0)
        {
            return true;
        }

        if (request.Length == 2 + PeerId.Size && request[0] == InventoryType && request[1] == 1)
        {
            after = PeerId.FromBytes(request.Slice(2, PeerId.Size));
            return true;
        }

        return false;
    }

    /// <summary>Reads a RECORDS request; false when the count, a flag byte, the order or the length is wrong.</summary>
    public static bool TryReadRecordsRequest(ReadOnlySpan<byte> request, out TrustRecordWant[] wants)
    {
        wants = [];
        if (request.Length < 2 || request[0] != RecordsType || request[1] is 0 or > MaxRecordsPerRequest
            || request.Length != 2 + (WantSize * request[1]))
        {
            return false;
        }

        var read = new TrustRecordWant[request[1]];
        for (var i = 0; i < read.Length; i++)
        {
            var at = 2 + (WantSize * i);
            var issuer = PeerId.FromBytes(request.Slice(at, PeerId.Size));
            var flags = request[at + PeerId.Size];
            if (flags > 1 || (i > 0 && issuer.CompareTo(read[i - 1].Issuer) <= 0))
            {
                return false;
            }

            read[i] = new TrustRecordWant(issuer, flags == 1);
        }

        wants = read;
        return true;
    }

    /// <summary>An answer carrying only a status (a refusal).</summary>
    public static void WriteStatus(IBufferWriter<byte> response, TrustExchangeStatus status)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.GetSpan(1)[0] = (byte)status;
        response.Advance(1);
    }

    /// <summary>An INVENTORY answer: at most <see cref="MaxInventoryEntries"/> entries in strictly ascending issuer order, and whether more follow.</summary>
    public static void WriteInventory(IBufferWriter<byte> response, IReadOnlyList<TrustInventoryEntry> entries, bool more)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count > MaxInventoryEntries)
        {
            throw new ArgumentException($"An INVENTORY answer lists at most {MaxInventoryEntries} records.", nameof(entries));
        }

        var length = 1 + 2 + (InventoryEntrySize * entries.Count) + 1;
        var span = response.GetSpan(length)[..length];
        span[0] = (byte)TrustExchangeStatus.Ok;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var at = 3 + (InventoryEntrySize * i);
            entries[i].Issuer.WriteTo(span[at..]);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + PeerId.Size)..], entries[i].IssuedUnixMs);
        }

        span[length - 1] = more ? (byte)1 : (byte)0;
        response.Advance(length);
    }

    /// <summary>Reads an INVENTORY answer; false when it is not an OK answer of the right shape (see <see cref="TryReadStatus"/> for refusals).</summary>
    public static bool TryReadInventory(ReadOnlySpan<byte> answer, out TrustInventoryEntry[] entries, out bool more)
    {
        entries = [];
        more = false;
        if (answer.Length < 4 || answer[0] != (byte)TrustExchangeStatus.Ok)
        {
            return false;
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(answer[1..]);
        if (count > MaxInventoryEntries || answer.Length != 3 + (InventoryEntrySize * count) + 1 || answer[^1] > 1)
        {
            return false;
        }

        var read = new TrustInventoryEntry[count];
        for (var i = 0; i < count; i++)
        {
            var at = 3 + (InventoryEntrySize * i);
            var issuer = PeerId.FromBytes(answer.Slice(at, PeerId.Size));
            if (i > 0 && issuer.CompareTo(read[i - 1].Issuer) <= 0)
            {
                return false;
            }

            read[i] = new TrustInventoryEntry(issuer, BinaryPrimitives.ReadInt64BigEndian(answer[(at + PeerId.Size)..]));
        }

        entries = read;
        more = answer[^1] == 1;
        return true;
    }

    /// <summary>Bytes one record takes in a RECORDS answer.</summary>
    public static int DeliverySize(int keyLength, int recordLength) => 2 + keyLength + 4 + recordLength;

    /// <summary>A RECORDS answer: at most <see cref="MaxRecordsPerRequest"/> records, each with the issuer's key or none.</summary>
    public static void WriteRecords(IBufferWriter<byte> response, IReadOnlyList<TrustRecordDelivery> records)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count > MaxRecordsPerRequest)
        {
            throw new ArgumentException($"A RECORDS answer carries at most {MaxRecordsPerRequest} records.", nameof(records));
        }

        var header = response.GetSpan(2);
        header[0] = (byte)TrustExchangeStatus.Ok;
        header[1] = (byte)records.Count;
        response.Advance(2);
        foreach (var (key, record) in records)
        {
            var length = DeliverySize(key.Length, record.Length);
            var span = response.GetSpan(length)[..length];
            BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)key.Length);
            key.Span.CopyTo(span[2..]);
            BinaryPrimitives.WriteUInt32BigEndian(span[(2 + key.Length)..], (uint)record.Length);
            record.Span.CopyTo(span[(6 + key.Length)..]);
            response.Advance(length);
        }
    }

    /// <summary>
    /// Reads a RECORDS answer into slices of <paramref name="answer"/>; false when it is not an OK answer of the
    /// right shape: more records than <see cref="MaxRecordsPerRequest"/>, a key longer than any identity key, a
    /// record longer than <paramref name="maxRecordBytes"/>, or lengths that disagree with the bytes.
    /// </summary>
    public static bool TryReadRecords(ReadOnlyMemory<byte> answer, int maxRecordBytes, out TrustRecordDelivery[] records)
    {
        records = [];
        var span = answer.Span;
        if (span.Length < 2 || span[0] != (byte)TrustExchangeStatus.Ok || span[1] > MaxRecordsPerRequest)
        {
            return false;
        }

        var read = new TrustRecordDelivery[span[1]];
        var at = 2;
        for (var i = 0; i < read.Length; i++)
        {
            if (span.Length - at < 2)
            {
                return false;
            }

            int keyLength = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
            at += 2;
            if (keyLength > IdentityPublicKey.MaxEncodedSize || span.Length - at < keyLength + 4)
            {
                return false;
            }

            var key = answer.Slice(at, keyLength);
            at += keyLength;
            var recordLength = BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
            at += 4;
            if (recordLength > (uint)maxRecordBytes || (uint)(span.Length - at) < recordLength)
            {
                return false;
            }

            read[i] = new TrustRecordDelivery(key, answer.Slice(at, (int)recordLength));
            at += (int)recordLength;
        }

        if (at != span.Length)
        {
            return false;
        }

        records = read;
        return true;
    }

    /// <summary>The status byte of an answer; false for an empty answer or an unknown status.</summary>
    public static bool TryReadStatus(ReadOnlySpan<byte> answer, out TrustExchangeStatus status)
    {
        status = default;
        if (answer.IsEmpty || answer[0] > (byte)TrustExchangeStatus.Unavailable)
        {
            return false;
        }

        status = (TrustExchangeStatus)answer[0];
        return true;
    }
}
