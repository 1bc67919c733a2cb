using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Overlay.Dht.Wire;
using Overlay.Transport;

namespace Overlay.Dht.Routing;

/// <summary>
/// A contact's dialable address held in binary: scheme, IPv4 address and port packed in one 64-bit word
/// (an IPv6 address in a 32-byte object beside it) instead of its text (a string of about 70 bytes for
/// <c>tcp://203.0.113.7:4001</c>). A node keeps one per contact and replacement entry, hundreds of them,
/// and answers every FIND_NODE from them.
/// <para>
/// The text is the authority: an address is held in binary only when formatting the binary form gives back
/// exactly the text it came from (canonical <see cref="TransportAddress"/> spelling, no pinned PeerId, no
/// IPv6 scope). Any other text, including text that is not a transport address at all, is kept as the
/// string, so <see cref="Text"/> always returns what was given and what goes on the wire is unchanged.
/// </para>
/// </summary>
internal readonly struct PeerAddress : IEquatable<PeerAddress>
{
    // Longest canonical text: "quic://" (7), a bracketed IPv6 host (at most 45 + 2, as in
    // "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]") and ":65535" (6) make 60 chars.
    internal const int MaxCompactChars = 64;

    private const ulong Compact = 1UL << 63;
    private const ulong V6 = 1UL << 62;
    private const int SchemeShift = 48;
    private const int PortShift = 32;

    // The text when the address is held as text; the IPv6 host when it is a binary IPv6 address; else null.
    private readonly object? _ref;

    // Compact flag, IPv6 flag, scheme in bits 48–49, port in bits 32–47, IPv4 address (big-endian) in bits 0–31.
    private readonly ulong _bits;

    private PeerAddress(string text)
    {
        _ref = text;
    }

    private PeerAddress(ulong bits, Ipv6Host? host)
    {
        _bits = bits;
        _ref = host;
    }

    /// <summary>No address.</summary>
    public static PeerAddress None => default;

    /// <summary>True when no address is known.</summary>
    public bool IsNone => _ref is null && _bits == 0;

    /// <summary>True when the address is held in binary rather than as text.</summary>
    public bool IsCompact => (_bits & Compact) != 0;

    /// <summary>
    /// The address of <paramref name="text"/>: binary when it is a canonical transport address, the text
    /// itself otherwise (null gives <see cref="None"/>). Parses the text; callers that already parsed it use
    /// <see cref="Of(TransportAddress, string)"/>.
    /// </summary>
    public static PeerAddress Of(string? text)
    {
        if (text is null)
        {
            return None;
        }

        return TransportAddress.TryParse(text, out var parsed, out _) ? Of(parsed, text) : new PeerAddress(text);
    }

    /// <summary>The address of <paramref name="text"/>, which parsed as <paramref name="parsed"/>.</summary>
    public static PeerAddress Of(TransportAddress parsed, string text)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(text);
        if (parsed.ExpectedPeer is not null || (uint)parsed.Port > ushort.MaxValue)
        {
            return new PeerAddress(text);
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!parsed.Host.TryWriteBytes(bytes, out var written))
        {
            return new PeerAddress(text);
        }

        var bits = Compact | ((ulong)parsed.Scheme << SchemeShift) | ((ulong)parsed.Port << PortShift);
        PeerAddress compact;
        if (parsed.Host.AddressFamily == AddressFamily.InterNetwork && written == 4)
        {
            compact = new PeerAddress(bits | BinaryPrimitives.ReadUInt32BigEndian(bytes), null);
        }
        else if (parsed.Host.AddressFamily == AddressFamily.InterNetworkV6 && written == 16)
        {
            compact = new PeerAddress(bits | V6, new Ipv6Host(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..])));
        }
        else
        {
            return new PeerAddress(text);
        }

        // Keep the binary form only if it spells the text back exactly (a scope id, an upper-case scheme or
        // a non-canonical IPv6 spelling would otherwise change what the peer is dialled by and named as).
        Span<char> chars = stackalloc char[MaxCompactChars];
        return chars[..compact.FormatCompact(chars)].SequenceEqual(text) ? compact : new PeerAddress(text);
    }

    /// <summary>
    /// The address as text, or null for <see cref="None"/>. A binary address is formatted, and its string
    /// taken from the process-wide <see cref="DecodedAddressCache"/> when an answer named it lately (then
    /// an IPv4 read allocates nothing; the cached text is what formatting gives), else allocated. An IPv6
    /// host is formatted through an <see cref="IPAddress"/>, which allocates.
    /// </summary>
    public string? Text
    {
        get
        {
            if (!IsCompact)
            {
                return _ref as string;
            }

            Span<char> chars = stackalloc char[MaxCompactChars];
            var n = FormatCompact(chars);
            Span<byte> utf8 = stackalloc byte[MaxCompactChars];
            var length = Encoding.ASCII.GetBytes(chars[..n], utf8);
            return DecodedAddressCache.TryGet(utf8[..length], out var known) ? known.Text : new string(chars[..n]);
        }
    }

    /// <summary>The number of UTF-8 bytes of <see cref="Text"/> (0 for <see cref="None"/>), counted without formatting an IPv4 address.</summary>
    public int Utf8Length
    {
        get
        {
            if (!IsCompact)
            {
                return _ref is string text ? Encoding.UTF8.GetByteCount(text) : 0;
            }

            if ((_bits & V6) != 0)
            {
                Span<char> chars = stackalloc char[MaxCompactChars];
                return FormatCompact(chars);
            }

            // "scheme://" + four octets and three dots + ':' + port, each number in decimal without leading zeros.
            var v4 = (uint)_bits;
            return SchemePrefix().Length + Digits(v4 >> 24) + Digits((v4 >> 16) & 0xFF) + Digits((v4 >> 8) & 0xFF) + Digits(v4 & 0xFF) + 3
                + 1 + Digits((uint)(_bits >> PortShift) & 0xFFFF);
        }
    }

    /// <summary>Writes <see cref="Text"/> as UTF-8 into <paramref name="destination"/>; returns the bytes written.</summary>
    public int WriteUtf8(Span<byte> destination)
    {
        if (!IsCompact)
        {
            return _ref is string text ? Encoding.UTF8.GetBytes(text, destination) : 0;
        }

        Span<char> chars = stackalloc char[MaxCompactChars];
        var n = FormatCompact(chars);
        return Encoding.ASCII.GetBytes(chars[..n], destination);
    }

    /// <summary>True when <paramref name="utf8"/> is this address's text, compared without allocating.</summary>
    public bool TextEquals(ReadOnlySpan<byte> utf8)
    {
        if (IsNone)
        {
            return false;
        }

        scoped ReadOnlySpan<char> text;
        Span<char> chars = stackalloc char[MaxCompactChars];
        if (IsCompact)
        {
            var n = FormatCompact(chars);
            text = chars[..n];
        }
        else
        {
            text = (string)_ref!;
        }

        if (text.Length != utf8.Length)
        {
            return false;
        }

        for (var i = 0; i < utf8.Length; i++)
        {
            // Addresses are ASCII; any other byte is treated as a different address.
            if (utf8[i] >= 0x80 || text[i] != utf8[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Equals(PeerAddress other)
        => _bits == other._bits && _ref switch
        {
            null => other._ref is null,
            string text => other._ref is string o && string.Equals(text, o, StringComparison.Ordinal),
            Ipv6Host host => other._ref is Ipv6Host o && host.High == o.High && host.Low == o.Low,
            _ => false,
        };

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PeerAddress other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _ref switch
    {
        string text => HashCode.Combine(_bits, StringComparer.Ordinal.GetHashCode(text)),
        Ipv6Host host => HashCode.Combine(_bits, host.High, host.Low),
        _ => _bits.GetHashCode(),
    };

    /// <inheritdoc/>
    public override string ToString() => Text ?? string.Empty;

    /// <summary>Equality of two addresses (binary or text).</summary>
    public static bool operator ==(PeerAddress left, PeerAddress right) => left.Equals(right);

    /// <summary>Inequality of two addresses (binary or text).</summary>
    public static bool operator !=(PeerAddress left, PeerAddress right) => !left.Equals(right);

    // The canonical spelling TransportAddress.ToString gives: scheme, dotted IPv4 or bracketed IPv6, port.
    private int FormatCompact(Span<char> destination)
    {
        var scheme = SchemePrefix();
        scheme.CopyTo(destination);
        var at = scheme.Length;
        if ((_bits & V6) != 0)
        {
            var v6 = (Ipv6Host)_ref!;
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, v6.High);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], v6.Low);
            destination[at++] = '[';
            // Cannot fail: MaxCompactChars leaves room for the longest IPv6 text.
            new IPAddress(bytes).TryFormat(destination[at..], out var host);
            at += host;
            destination[at++] = ']';
        }
        else
        {
            var v4 = (uint)_bits;
            for (var shift = 24; shift >= 0; shift -= 8)
            {
                ((v4 >> shift) & 0xFF).TryFormat(destination[at..], out var octet, default, CultureInfo.InvariantCulture);
                at += octet;
                if (shift > 0)
                {
                    destination[at++] = '.';
                }
            }
        }

        destination[at++] = ':';
        ((_bits >> PortShift) & 0xFFFF).TryFormat(destination[at..], out var port, default, CultureInfo.InvariantCulture);
        return at + port;
    }

    private string SchemePrefix() => (TransportScheme)((_bits >> SchemeShift) & 0x3) switch
    {
        TransportScheme.Tcp => "tcp://",
        TransportScheme.Quic => "quic://",
        _ => "mem://",
    };

    private static int Digits(uint value) => value switch
    {
        < 10 => 1,
        < 100 => 2,
        < 1_000 => 3,
        < 10_000 => 4,
        _ => 5,
    };

    // IPv6 hosts are rarer than IPv4 ones here; they pay an object so every address stays one word and a reference.
    private sealed record Ipv6Host(ulong High, ulong Low);
}
