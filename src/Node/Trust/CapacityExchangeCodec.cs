using System.Buffers;
using System.Buffers.Binary;
using Overlay.Crypto;
using Overlay.Placement.Capacity;

namespace Overlay.Node.Trust;

/// <summary>
/// The CAPACITY request of <c>trust/1</c> (docs/PROTOCOL.md, "Trust protocol"): <c>[3][want key 0|1]</c> asks a
/// peer for its own signed capacity record; the answer is <c>[status 0][key length 2][key][record length 2][record]</c>,
/// the key empty unless asked for. Decoding never throws: each length is checked against its limit and the bytes left.
/// </summary>
public static class CapacityExchangeCodec
{
    /// <summary>Request type: send your own capacity record.</summary>
    public const byte CapacityType = 3;

    /// <summary>A CAPACITY request; <paramref name="wantKey"/> asks for the identity key too.</summary>
    public static byte[] Request(bool wantKey) => [CapacityType, wantKey ? (byte)1 : (byte)0];

    /// <summary>Reads a CAPACITY request; false when <paramref name="request"/> is not exactly one.</summary>
    public static bool TryReadRequest(ReadOnlySpan<byte> request, out bool wantKey)
    {
        wantKey = request.Length == 2 && request[1] == 1;
        return request.Length == 2 && request[0] == CapacityType && request[1] <= 1;
    }

    /// <summary>Writes an OK answer carrying <paramref name="record"/> and <paramref name="key"/> (empty when not asked for); returns the bytes written.</summary>
    public static int WriteAnswer(IBufferWriter<byte> response, ReadOnlySpan<byte> key, ReadOnlySpan<byte> record)
    {
        ArgumentNullException.ThrowIfNull(response);
        var length = 1 + 2 + key.Length + 2 + record.Length;
        var span = response.GetSpan(length)[..length];
        span[0] = (byte)TrustExchangeStatus.Ok;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)key.Length);
        key.CopyTo(span[3..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(3 + key.Length)..], (ushort)record.Length);
        record.CopyTo(span[(5 + key.Length)..]);
        response.Advance(length);
        return length;
    }

    /// <summary>Reads an OK answer into its key (possibly empty) and record bytes; false when the shape or a length is wrong.</summary>
    public static bool TryReadAnswer(ReadOnlyMemory<byte> answer, out ReadOnlyMemory<byte> key, out ReadOnlyMemory<byte> record)
    {
        key = default;
        record = default;
        var span = answer.Span;
        if (span.Length < 5 || span[0] != (byte)TrustExchangeStatus.Ok)
        {
            return false;
        }

        int keyLength = BinaryPrimitives.ReadUInt16BigEndian(span[1..]);
        if (keyLength > IdentityPublicKey.MaxEncodedSize || span.Length < 5 + keyLength)
        {
            return false;
        }

        int recordLength = BinaryPrimitives.ReadUInt16BigEndian(span[(3 + keyLength)..]);
        if (recordLength > CapacityRecordCodec.MaxEncodedLength || span.Length != 5 + keyLength + recordLength)
        {
            return false;
        }

        key = answer.Slice(3, keyLength);
        record = answer.Slice(5 + keyLength, recordLength);
        return true;
    }
}
