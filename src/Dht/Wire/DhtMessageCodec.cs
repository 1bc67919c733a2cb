using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;

namespace Overlay.Dht.Wire;

/// <summary>
/// Encodes and decodes DHT messages (docs/PROTOCOL.md, "DHT messages"). Integers are big-endian.
/// Every message starts with the version byte and the type byte; requests then carry the sender's
/// listen address, responses the responder's network coordinate. Encoders write into caller
/// buffers; <see cref="TryDecode"/> never throws on untrusted bytes. This class frames the messages;
/// the addresses and contacts inside them are <see cref="DhtContactCodec"/>'s, the records
/// <see cref="DhtRecordCodec"/>'s, and the checks that reading untrusted bytes takes <see cref="DhtMessageDecoder"/>'s.
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
        RequestHeaderLength(sender) + DhtRecordCodec.FieldLength(record);

    /// <summary>Bytes a STORE request carrying <paramref name="record"/> takes.</summary>
    public static int StoreRequestLength(string? sender, ProviderRecord record) =>
        RequestHeaderLength(sender) + DhtRecordCodec.FieldLength(record);

    /// <summary>Bytes a STORE request carrying <paramref name="batch"/> takes.</summary>
    public static int StoreRequestLength(string? sender, ProviderBatch batch) =>
        RequestHeaderLength(sender) + DhtRecordCodec.FieldLength(batch);

    /// <summary>Writes a STORE request for a provider batch; returns the bytes written.</summary>
    public static int WriteStoreRequest(Span<byte> destination, string? sender, ProviderBatch batch)
    {
        var at = WriteRequestHeader(destination, DhtMessageType.Store, sender);
        return at + DhtRecordCodec.WriteField(destination[at..], batch);
    }

    /// <summary>Writes a STORE request for a value record; returns the bytes written.</summary>
    public static int WriteStoreRequest(Span<byte> destination, string? sender, DhtRecord record)
    {
        var at = WriteRequestHeader(destination, DhtMessageType.Store, sender);
        return at + DhtRecordCodec.WriteField(destination[at..], record);
    }

    /// <summary>Writes a STORE request for a provider record; returns the bytes written.</summary>
    public static int WriteStoreRequest(Span<byte> destination, string? sender, ProviderRecord record)
    {
        var at = WriteRequestHeader(destination, DhtMessageType.Store, sender);
        return at + DhtRecordCodec.WriteField(destination[at..], record);
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
        var recordLength = record is null ? DhtRecordCodec.EmptyFieldLength : DhtRecordCodec.FieldLength(record);
        var length = ResponseHeaderLength + recordLength + DhtRecordCodec.ProvidersLength(providers) + DhtContactCodec.ContactsLength(contacts);
        var span = writer.GetSpan(length);
        var at = WriteResponseHeader(span, DhtMessageType.Value, coordinate, error);
        at += record is null ? DhtRecordCodec.WriteEmptyField(span[at..]) : DhtRecordCodec.WriteField(span[at..], record);
        at += DhtRecordCodec.WriteProviders(span[at..], providers);
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
        DhtMessageDecoder.TryDecode(source, options, out message, out error, out _);

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
