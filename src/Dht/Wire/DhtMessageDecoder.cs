using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;

namespace Overlay.Dht.Wire;

/// <summary>
/// Reads DHT messages from untrusted bytes (docs/PROTOCOL.md, "Decoding"): cheap checks (length, version,
/// type) first, then the sender address or the responder's coordinate, then the body, and no byte may
/// be left over. Returns a result and an error, never throws; <see cref="DhtMessageCodec.TryDecode"/> is
/// the public way in, and <see cref="DhtMessageCodec"/> writes what this reads.
/// </summary>
internal static class DhtMessageDecoder
{
    /// <summary>
    /// As <see cref="DhtMessageCodec.TryDecode"/>; when a carried record was refused
    /// (<see cref="DhtWireError.BadRecord"/>), <paramref name="recordError"/> says why.
    /// </summary>
    internal static bool TryDecode(ReadOnlySpan<byte> source, DhtOptions options, [NotNullWhen(true)] out DhtMessage? message, out DhtWireError error, out RecordDecodeError recordError)
    {
        recordError = RecordDecodeError.None;
        ArgumentNullException.ThrowIfNull(options);
        message = null;
        if (source.Length < 2)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        if (source[0] != DhtMessageCodec.Version)
        {
            error = DhtWireError.UnsupportedVersion;
            return false;
        }

        var type = (DhtMessageType)source[1];
        var rest = source[2..];
        switch (type)
        {
            case DhtMessageType.Ping:
            case DhtMessageType.FindNode:
            case DhtMessageType.FindValue:
            case DhtMessageType.Store:
                return TryDecodeRequest(type, rest, options, out message, out error, out recordError);
            case DhtMessageType.Pong:
            case DhtMessageType.Nodes:
            case DhtMessageType.Value:
            case DhtMessageType.Stored:
            case DhtMessageType.Error:
                return TryDecodeResponse(type, rest, options, out message, out error);
            default:
                error = DhtWireError.UnknownType;
                return false;
        }
    }

    /// <summary>
    /// Reads a PING, FIND_NODE or FIND_VALUE request without allocating: lengths, version, type, target
    /// and trailing bytes are checked, while the sender address is handed back as raw UTF-8 for
    /// <see cref="DhtContactCodec.TryParseAddress"/> to check once it is needed (a server that already holds the sender
    /// under these exact bytes need not parse them again). False for every other type and for anything
    /// <see cref="TryDecode"/> would refuse apart from the address syntax.
    /// </summary>
    internal static bool TryReadSmallRequest(ReadOnlySpan<byte> source, out DhtMessageType type, out ReadOnlySpan<byte> sender, out PeerId target)
    {
        type = default;
        sender = default;
        target = default;
        if (source.Length < 4 || source[0] != DhtMessageCodec.Version)
        {
            return false;
        }

        type = (DhtMessageType)source[1];
        if (type is not (DhtMessageType.Ping or DhtMessageType.FindNode or DhtMessageType.FindValue))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        var rest = source[4..];
        if (length > DhtMessageCodec.MaxAddressBytes || rest.Length < length)
        {
            return false;
        }

        sender = rest[..length];
        rest = rest[length..];
        if (type != DhtMessageType.Ping)
        {
            if (rest.Length < PeerId.Size)
            {
                return false;
            }

            target = PeerId.FromBytes(rest[..PeerId.Size]);
            rest = rest[PeerId.Size..];
        }

        return rest.IsEmpty;
    }

    private static bool TryDecodeRequest(DhtMessageType type, ReadOnlySpan<byte> rest, DhtOptions options, out DhtMessage? message, out DhtWireError error, out RecordDecodeError recordError)
    {
        message = null;
        recordError = RecordDecodeError.None;
        if (!DhtContactCodec.TryReadAddress(ref rest, allowEmpty: true, out var sender, out _, out error))
        {
            return false;
        }

        switch (type)
        {
            case DhtMessageType.Ping:
                message = new DhtMessage { Type = type, SenderAddress = sender };
                break;
            case DhtMessageType.FindNode:
            case DhtMessageType.FindValue:
                if (rest.Length < PeerId.Size)
                {
                    error = DhtWireError.TooShort;
                    return false;
                }

                message = new DhtMessage { Type = type, SenderAddress = sender, Target = PeerId.FromBytes(rest[..PeerId.Size]) };
                rest = rest[PeerId.Size..];
                break;
            default:
                if (!DhtRecordCodec.TryReadField(ref rest, options, out var record, out var provider, out var batch, out error, out recordError))
                {
                    return false;
                }

                if (record is null && provider is null && batch is null)
                {
                    error = DhtWireError.BadRecord;
                    return false;
                }

                message = new DhtMessage { Type = type, SenderAddress = sender, Record = record, Provider = provider, ProviderBatch = batch };
                break;
        }

        return Finish(rest, ref message, out error);
    }

    private static bool TryDecodeResponse(DhtMessageType type, ReadOnlySpan<byte> rest, DhtOptions options, out DhtMessage? message, out DhtWireError error)
    {
        message = null;
        if (rest.Length < DhtMessageCodec.ResponseHeaderLength - 2)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        var coordinate = new VivaldiCoordinate(
            BinaryPrimitives.ReadDoubleBigEndian(rest),
            BinaryPrimitives.ReadDoubleBigEndian(rest[8..]),
            BinaryPrimitives.ReadDoubleBigEndian(rest[16..]));
        var coordinateError = BinaryPrimitives.ReadDoubleBigEndian(rest[24..]);
        rest = rest[32..];
        if (!coordinate.IsValid || !double.IsFinite(coordinateError) || coordinateError < 0 || coordinateError > 1e6)
        {
            error = DhtWireError.BadCoordinate;
            return false;
        }

        switch (type)
        {
            case DhtMessageType.Pong:
                message = new DhtMessage { Type = type, Coordinate = coordinate, CoordinateError = coordinateError };
                break;
            case DhtMessageType.Nodes:
            {
                if (!DhtContactCodec.TryReadContacts(ref rest, options, out var contacts, out error))
                {
                    return false;
                }

                message = new DhtMessage { Type = type, Coordinate = coordinate, CoordinateError = coordinateError, Contacts = contacts };
                break;
            }

            case DhtMessageType.Value:
            {
                if (!DhtRecordCodec.TryReadField(ref rest, options, out var record, out var stray, out error))
                {
                    return false;
                }

                if (stray is not null)
                {
                    error = DhtWireError.WrongRecordKind;
                    return false;
                }

                if (!DhtRecordCodec.TryReadProviders(ref rest, options, out var providers, out error)
                    || !DhtContactCodec.TryReadContacts(ref rest, options, out var contacts, out error))
                {
                    return false;
                }

                message = new DhtMessage
                {
                    Type = type, Coordinate = coordinate, CoordinateError = coordinateError,
                    Record = record, Providers = providers, Contacts = contacts,
                };
                break;
            }

            case DhtMessageType.Stored:
                if (rest.Length < 1)
                {
                    error = DhtWireError.TooShort;
                    return false;
                }

                if (!DhtMessageCodec.IsWireVerdict(rest[0]))
                {
                    error = DhtWireError.BadCode;
                    return false;
                }

                message = new DhtMessage { Type = type, Coordinate = coordinate, CoordinateError = coordinateError, Verdict = (RecordRejection)rest[0] };
                rest = rest[1..];
                break;
            default:
                if (rest.Length < 1)
                {
                    error = DhtWireError.TooShort;
                    return false;
                }

                if (rest[0] is < (byte)DhtErrorCode.Malformed or > (byte)DhtErrorCode.Internal)
                {
                    error = DhtWireError.BadCode;
                    return false;
                }

                message = new DhtMessage { Type = type, Coordinate = coordinate, CoordinateError = coordinateError, ErrorCode = (DhtErrorCode)rest[0] };
                rest = rest[1..];
                break;
        }

        return Finish(rest, ref message, out error);
    }

    // Every message is read from exactly its frame: a byte left over is an error, not padding.
    private static bool Finish(ReadOnlySpan<byte> rest, ref DhtMessage? message, out DhtWireError error)
    {
        if (!rest.IsEmpty)
        {
            message = null;
            error = DhtWireError.TrailingBytes;
            return false;
        }

        error = DhtWireError.None;
        return true;
    }
}
