using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Routing;
using Overlay.Transport;

namespace Overlay.Dht.Wire;

/// <summary>
/// The parts of DHT messages that name peers (docs/PROTOCOL.md, "DHT messages"): a listen address
/// (length-prefixed UTF-8, at most <see cref="DhtMessageCodec.MaxAddressBytes"/>) and a contact list
/// (id, address, optional coordinate). <see cref="DhtMessageCodec"/> frames the messages around them;
/// the readers never throw on untrusted bytes.
/// </summary>
internal static class DhtContactCodec
{
    // X, Y and height of a contact's coordinate, float32 each.
    private const int ContactCoordinateLength = 12;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Parses a non-empty address as <see cref="DhtMessageCodec.TryDecode"/> does; false when it is not a transport address.</summary>
    internal static bool TryParseAddress(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? address, out TransportAddress? parsed)
    {
        address = Utf8.GetString(utf8);
        if (!TransportAddress.TryParse(address, out parsed, out _))
        {
            address = null;
            return false;
        }

        return true;
    }

    internal static bool TryReadContacts(ref ReadOnlySpan<byte> rest, DhtOptions options, out DhtPeer[] contacts, out DhtWireError error)
    {
        contacts = [];
        if (rest.Length < 2)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(rest);
        rest = rest[2..];
        if (count > options.K)
        {
            error = DhtWireError.TooManyEntries;
            return false;
        }

        // Each contact takes at least its id, the address length and the coordinate flag: refuse a count the
        // bytes cannot hold before allocating for it.
        if (count * (PeerId.Size + 2 + 1) > rest.Length)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        var result = count == 0 ? [] : new DhtPeer[count];
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < PeerId.Size)
            {
                error = DhtWireError.TooShort;
                return false;
            }

            var id = PeerId.FromBytes(rest[..PeerId.Size]);
            rest = rest[PeerId.Size..];
            if (!TryReadContactAddress(ref rest, out var address, out var group, out error) ||
                !TryReadContactCoordinate(ref rest, out var coordinate, out error))
            {
                return false;
            }

            result[i] = new DhtPeer(id, address, group, coordinate);
        }

        contacts = result;
        error = DhtWireError.None;
        return true;
    }

    // A contact's address: never empty, decoded straight to the form a table holds.
    private static bool TryReadContactAddress(ref ReadOnlySpan<byte> rest, out PeerAddress address, out NetworkGroup group, out DhtWireError error)
    {
        address = PeerAddress.None;
        group = NetworkGroup.Unknown;
        if (!TryReadAddressBytes(ref rest, allowEmpty: false, out var bytes, out error) || bytes.IsEmpty)
        {
            return false;
        }

        if (!TryDecode(bytes, out var entry))
        {
            error = DhtWireError.BadAddress;
            return false;
        }

        (address, group) = (entry.Held, entry.Group);
        return true;
    }

    internal static bool TryReadAddress(ref ReadOnlySpan<byte> rest, bool allowEmpty, out string? address, out NetworkGroup group, out DhtWireError error)
    {
        address = null;
        group = NetworkGroup.Unknown;
        if (!TryReadAddressBytes(ref rest, allowEmpty, out var bytes, out error) || bytes.IsEmpty)
        {
            return error == DhtWireError.None;
        }

        if (!TryDecode(bytes, out var entry))
        {
            error = DhtWireError.BadAddress;
            return false;
        }

        (address, group) = (entry.Text, entry.Group);
        return true;
    }

    // Decoding is a pure function of the bytes, so a remembered decoding is returned as is.
    private static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out DecodedAddressCache.Entry? entry)
    {
        if (DecodedAddressCache.TryGet(bytes, out entry))
        {
            return true;
        }

        var text = Utf8.GetString(bytes);
        if (!TransportAddress.TryParse(text, out var parsed, out _))
        {
            return false;
        }

        entry = DecodedAddressCache.Add(bytes, text, PeerAddress.Of(parsed, text), NetworkGroup.Of(parsed));
        return true;
    }

    private static bool TryReadAddressBytes(ref ReadOnlySpan<byte> rest, bool allowEmpty, out ReadOnlySpan<byte> bytes, out DhtWireError error)
    {
        bytes = default;
        if (rest.Length < 2)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(rest);
        rest = rest[2..];
        if (length == 0)
        {
            error = allowEmpty ? DhtWireError.None : DhtWireError.BadAddress;
            return allowEmpty;
        }

        if (length > DhtMessageCodec.MaxAddressBytes)
        {
            error = DhtWireError.BadAddress;
            return false;
        }

        if (rest.Length < length)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        bytes = rest[..length];
        rest = rest[length..];
        error = DhtWireError.None;
        return true;
    }

    internal static int AddressLength(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return 0;
        }

        var n = Utf8.GetByteCount(address);
        return n <= DhtMessageCodec.MaxAddressBytes ? n : throw new ArgumentException($"An address is at most {DhtMessageCodec.MaxAddressBytes} UTF-8 bytes; this one has {n}.", nameof(address));
    }

    internal static int WriteAddress(Span<byte> destination, string? address)
    {
        var n = AddressLength(address);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)n);
        if (n > 0)
        {
            Utf8.GetBytes(address, destination[2..]);
        }

        return 2 + n;
    }

    private static int AddressLength(PeerAddress address)
    {
        var n = address.Utf8Length;
        return n <= DhtMessageCodec.MaxAddressBytes ? n : throw new ArgumentException($"An address is at most {DhtMessageCodec.MaxAddressBytes} UTF-8 bytes; this one has {n}.", nameof(address));
    }

    // Formats the address once, straight after its length prefix (ContactsLength sized the buffer, and checked the limit).
    private static int WriteAddress(Span<byte> destination, PeerAddress address)
    {
        var n = address.WriteUtf8(destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)n);
        return 2 + n;
    }

    internal static int ContactsLength(ReadOnlySpan<DhtPeer> contacts)
    {
        var n = 2;
        foreach (var c in contacts)
        {
            n += PeerId.Size + 2 + AddressLength(c.Dialable) + 1 + (HasWireCoordinate(c) ? ContactCoordinateLength : 0);
        }

        return n;
    }

    internal static void WriteContacts(Span<byte> destination, ReadOnlySpan<DhtPeer> contacts)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)contacts.Length);
        var at = 2;
        foreach (var c in contacts)
        {
            c.Id.WriteTo(destination[at..]);
            at += PeerId.Size;
            at += WriteAddress(destination[at..], c.Dialable);
            if (!HasWireCoordinate(c))
            {
                destination[at++] = 0;
                continue;
            }

            var xyz = c.Coordinate!.Value;
            destination[at] = 1;
            BinaryPrimitives.WriteSingleBigEndian(destination[(at + 1)..], (float)xyz.X);
            BinaryPrimitives.WriteSingleBigEndian(destination[(at + 5)..], (float)xyz.Y);
            BinaryPrimitives.WriteSingleBigEndian(destination[(at + 9)..], (float)xyz.Height);
            at += 1 + ContactCoordinateLength;
        }
    }

    // A coordinate that would not decode is left out rather than sent.
    private static bool HasWireCoordinate(in DhtPeer c) => c.Coordinate is { IsValid: true };

    /// <summary>
    /// A contact's coordinate: a flag byte (0 none, 1 present), then X, Y and height as float32 (ms). The
    /// responder reports the coordinate the contact last reported to it; the asker uses it only to predict
    /// RTTs (ordering and patience), never for what a lookup returns.
    /// </summary>
    private static bool TryReadContactCoordinate(ref ReadOnlySpan<byte> rest, out VivaldiCoordinate? coordinate, out DhtWireError error)
    {
        coordinate = null;
        if (rest.Length < 1)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        var flag = rest[0];
        rest = rest[1..];
        if (flag == 0)
        {
            error = DhtWireError.None;
            return true;
        }

        if (flag != 1)
        {
            error = DhtWireError.BadCoordinate;
            return false;
        }

        if (rest.Length < ContactCoordinateLength)
        {
            error = DhtWireError.TooShort;
            return false;
        }

        var c = new VivaldiCoordinate(
            BinaryPrimitives.ReadSingleBigEndian(rest),
            BinaryPrimitives.ReadSingleBigEndian(rest[4..]),
            BinaryPrimitives.ReadSingleBigEndian(rest[8..]));
        rest = rest[ContactCoordinateLength..];
        if (!c.IsValid)
        {
            error = DhtWireError.BadCoordinate;
            return false;
        }

        coordinate = c;
        error = DhtWireError.None;
        return true;
    }
}
