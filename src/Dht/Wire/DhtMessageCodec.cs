using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Transport;

namespace Overlay.Dht.Wire;

/// <summary>
/// Encodes and decodes DHT messages (docs/PROTOCOL.md, "DHT messages"). Integers are big-endian.
/// Every message starts with the version byte and the type byte; requests then carry the sender's
/// listen address, responses the responder's network coordinate. Encoders write into caller
/// buffers; <see cref="TryDecode"/> never throws on untrusted bytes.
/// </summary>
public static class DhtMessageCodec
{
    /// <summary>The only message version this code speaks.</summary>
    public const byte Version = 1;

    /// <summary>Longest address accepted in a contact or as a sender address, in UTF-8 bytes.</summary>
    public const int MaxAddressBytes = 255;

    /// <summary>Size of the response header: version, type, X, Y, height, error (four float64).</summary>
    public const int ResponseHeaderLength = 2 + 32;

    // ---- requests -------------------------------------------------------------------------------

    /// <summary>Bytes a PING request with <paramref name="sender"/> takes.</summary>
    public static int PingRequestLength(string? sender) => RequestHeaderLength(sender);

    /// <summary>Writes a PING request; returns the bytes written.</summary>
    public static int WritePingRequest(Span<byte> destination, string? sender) =>
        WriteRequestHeader(destination, DhtMessageType.Ping, sender);

    /// <summary>Bytes a FIND_NODE or FIND_VALUE request with <paramref name="sender"/> takes.</summary>
    public static int LookupRequestLength(string? sender) => RequestHeaderLength(sender) + PeerId.Size;

    /// <summary>Writes a FIND_NODE or FIND_VALUE request for <paramref name="target"/>; returns the bytes written.</summary>
    public static int WriteLookupRequest(Span<byte> destination, DhtMessageType type, string? sender, PeerId target)
    {
        if (type is not (DhtMessageType.FindNode or DhtMessageType.FindValue))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "A lookup request is FIND_NODE or FIND_VALUE.");
        }

        var at = WriteRequestHeader(destination, type, sender);
        target.WriteTo(destination[at..]);
        return at + PeerId.Size;
    }

    /// <summary>Bytes a STORE request carrying <paramref name="record"/> takes.</summary>
    public static int StoreRequestLength(string? sender, DhtRecord record) =>
        RequestHeaderLength(sender) + 4 + RecordEncoding.EncodedLength(record);

    /// <summary>Bytes a STORE request carrying <paramref name="record"/> takes.</summary>
    public static int StoreRequestLength(string? sender, ProviderRecord record) =>
        RequestHeaderLength(sender) + 4 + RecordEncoding.EncodedLength(record);

    /// <summary>Bytes a STORE request carrying <paramref name="batch"/> takes.</summary>
    public static int StoreRequestLength(string? sender, ProviderBatch batch) =>
        RequestHeaderLength(sender) + 4 + ProviderBatchEncoding.EncodedLength(batch);

    /// <summary>Writes a STORE request for a provider batch; returns the bytes written.</summary>
    public static int WriteStoreRequest(Span<byte> destination, string? sender, ProviderBatch batch)
    {
        var at = WriteRequestHeader(destination, DhtMessageType.Store, sender);
        var n = ProviderBatchEncoding.Encode(batch, destination[(at + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[at..], (uint)n);
        return at + 4 + n;
    }

    /// <summary>Writes a STORE request for a value record; returns the bytes written.</summary>
    public static int WriteStoreRequest(Span<byte> destination, string? sender, DhtRecord record)
    {
        var at = WriteRequestHeader(destination, DhtMessageType.Store, sender);
        var n = RecordEncoding.Encode(record, destination[(at + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[at..], (uint)n);
        return at + 4 + n;
    }

    /// <summary>Writes a STORE request for a provider record; returns the bytes written.</summary>
    public static int WriteStoreRequest(Span<byte> destination, string? sender, ProviderRecord record)
    {
        var at = WriteRequestHeader(destination, DhtMessageType.Store, sender);
        var n = RecordEncoding.Encode(record, destination[(at + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[at..], (uint)n);
        return at + 4 + n;
    }

    // ---- responses ------------------------------------------------------------------------------

    /// <summary>Writes a PONG.</summary>
    public static void WritePong(IBufferWriter<byte> writer, VivaldiCoordinate coordinate, double error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(ResponseHeaderLength);
        WriteResponseHeader(span, DhtMessageType.Pong, coordinate, error);
        writer.Advance(ResponseHeaderLength);
    }

    /// <summary>Writes a NODES answer; <paramref name="contacts"/> go closest first and each needs an address.</summary>
    public static void WriteNodes(IBufferWriter<byte> writer, VivaldiCoordinate coordinate, double error, ReadOnlySpan<DhtPeer> contacts)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = ResponseHeaderLength + DhtContactCodec.ContactsLength(contacts);
        var span = writer.GetSpan(length);
        var at = WriteResponseHeader(span, DhtMessageType.Nodes, coordinate, error);
        DhtContactCodec.WriteContacts(span[at..], contacts);
        writer.Advance(length);
    }

    /// <summary>Writes a VALUE answer: the record if held, the providers held, and closer contacts.</summary>
    public static void WriteValue(
        IBufferWriter<byte> writer, VivaldiCoordinate coordinate, double error, DhtRecord? record,
        ReadOnlySpan<ProviderRecord> providers, ReadOnlySpan<DhtPeer> contacts)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var recordLength = record is null ? 0 : RecordEncoding.EncodedLength(record);
        var providerLength = 0;
        foreach (var p in providers)
        {
            providerLength += 2 + RecordEncoding.EncodedLength(p);
        }

        var length = ResponseHeaderLength + 4 + recordLength + 2 + providerLength + DhtContactCodec.ContactsLength(contacts);
        var span = writer.GetSpan(length);
        var at = WriteResponseHeader(span, DhtMessageType.Value, coordinate, error);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)recordLength);
        at += 4;
        if (record is not null)
        {
            at += RecordEncoding.Encode(record, span[at..]);
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)providers.Length);
        at += 2;
        foreach (var p in providers)
        {
            var n = RecordEncoding.Encode(p, span[(at + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)n);
            at += 2 + n;
        }

        DhtContactCodec.WriteContacts(span[at..], contacts);
        writer.Advance(length);
    }

    /// <summary>Writes a STORED answer carrying <paramref name="verdict"/>.</summary>
    public static void WriteStored(IBufferWriter<byte> writer, VivaldiCoordinate coordinate, double error, RecordRejection verdict)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(ResponseHeaderLength + 1);
        var at = WriteResponseHeader(span, DhtMessageType.Stored, coordinate, error);
        span[at] = (byte)verdict;
        writer.Advance(at + 1);
    }

    /// <summary>
    /// Whether <paramref name="value"/> may stand as a STORED verdict: a defined <see cref="RecordRejection"/> other than
    /// those only a client gives itself (<see cref="RecordRejection.NoAnswer"/>, <see cref="RecordRejection.RateLimited"/>).
    /// Checked by membership, not by range: refusals added after those two (a replayed announcement, a provider's quota)
    /// are answers a storing node sends, and reading them as a bad code would hold an honest refusal against the peer.
    /// </summary>
    public static bool IsWireVerdict(byte value) =>
        Enum.IsDefined((RecordRejection)value) && value != (byte)RecordRejection.NoAnswer && value != (byte)RecordRejection.RateLimited;

    /// <summary>Writes an ERROR answer carrying <paramref name="code"/>.</summary>
    public static void WriteError(IBufferWriter<byte> writer, VivaldiCoordinate coordinate, double error, DhtErrorCode code)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(ResponseHeaderLength + 1);
        var at = WriteResponseHeader(span, DhtMessageType.Error, coordinate, error);
        span[at] = (byte)code;
        writer.Advance(at + 1);
    }

    // ---- decoding -------------------------------------------------------------------------------

    /// <summary>
    /// Decodes one message from exactly <paramref name="source"/>, applying the limits of
    /// <paramref name="options"/> (k contacts, provider count, record sizes). Cheap checks (length,
    /// version, type) run first. Never throws on malformed input.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, DhtOptions options, [NotNullWhen(true)] out DhtMessage? message, out DhtWireError error) =>
        TryDecodeWithRecordError(source, options, out message, out error, out _);

    /// <summary>
    /// As <see cref="TryDecode(ReadOnlySpan{byte}, DhtOptions, out DhtMessage?, out DhtWireError)"/>; when a
    /// carried record was refused (<see cref="DhtWireError.BadRecord"/>), <paramref name="recordError"/> says why.
    /// </summary>
    internal static bool TryDecodeWithRecordError(ReadOnlySpan<byte> source, DhtOptions options, [NotNullWhen(true)] out DhtMessage? message, out DhtWireError error, out RecordDecodeError recordError)
    {
        recordError = RecordDecodeError.None;
        ArgumentNullException.ThrowIfNull(options);
        message = null;
        if (source.Length < 2)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        if (source[0] != Version)
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
        if (source.Length < 4 || source[0] != Version)
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
        if (length > MaxAddressBytes || rest.Length < length)
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
                if (!TryReadRecord(ref rest, options, out var record, out var provider, out var batch, out error, out recordError))
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
        if (rest.Length < ResponseHeaderLength - 2)
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
                if (!TryReadRecord(ref rest, options, out var record, out var stray, out error))
                {
                    return false;
                }

                if (stray is not null)
                {
                    error = DhtWireError.WrongRecordKind;
                    return false;
                }

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

                var providers = providerCount == 0 ? [] : new ProviderRecord[providerCount];
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

                    providers[i] = provider;
                    rest = rest[n..];
                }

                if (!DhtContactCodec.TryReadContacts(ref rest, options, out var contacts, out error))
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

                if (!IsWireVerdict(rest[0]))
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

    private static bool TryReadRecord(ref ReadOnlySpan<byte> rest, DhtOptions options, out DhtRecord? record, out ProviderRecord? provider, out DhtWireError error)
    {
        // In an answer a batch is not a record: only a STORE carries one.
        var read = TryReadRecord(ref rest, options, out record, out provider, out var batch, out error, out _);
        if (read && batch is not null)
        {
            error = DhtWireError.BadRecord;
            return false;
        }

        return read;
    }

    private static bool TryReadRecord(
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

    private static int RequestHeaderLength(string? sender) => 2 + 2 + DhtContactCodec.AddressLength(sender);

    private static int WriteRequestHeader(Span<byte> destination, DhtMessageType type, string? sender)
    {
        destination[0] = Version;
        destination[1] = (byte)type;
        return 2 + DhtContactCodec.WriteAddress(destination[2..], sender);
    }

    private static int WriteResponseHeader(Span<byte> destination, DhtMessageType type, VivaldiCoordinate coordinate, double error)
    {
        destination[0] = Version;
        destination[1] = (byte)type;
        BinaryPrimitives.WriteDoubleBigEndian(destination[2..], coordinate.X);
        BinaryPrimitives.WriteDoubleBigEndian(destination[10..], coordinate.Y);
        BinaryPrimitives.WriteDoubleBigEndian(destination[18..], coordinate.Height);
        BinaryPrimitives.WriteDoubleBigEndian(destination[26..], error);
        return ResponseHeaderLength;
    }

}
