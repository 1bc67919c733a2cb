using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Overlay.Crypto;

namespace Overlay.Transport;

/// <summary>
/// Where a node listens or is dialled: <c>SCHEME://HOST:PORT</c> with an optional pinned identity
/// <c>/p2p/PEERID</c>. SCHEME is <c>tcp</c>, <c>quic</c> or <c>mem</c>; HOST is a dotted IPv4
/// address or a bracketed IPv6 address (<c>[::1]</c>); PORT is 0–65535 (0 only to listen);
/// PEERID is the 52-character base32 text of <see cref="PeerId"/>. Example:
/// <c>tcp://127.0.0.1:4001/p2p/aaaa…</c>. Host names are not accepted: resolving them is a
/// policy decision that belongs above the transport.
/// </summary>
public sealed class TransportAddress : IEquatable<TransportAddress>
{
    private const string PeerSegment = "/p2p/";

    private TransportAddress(TransportScheme scheme, IPAddress host, int port, PeerId? peer)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        ExpectedPeer = peer;
    }

    /// <summary>The transport this address names.</summary>
    public TransportScheme Scheme { get; }

    /// <summary>The IP address (IPv4 or IPv6), already parsed: callers classify it without parsing text again.</summary>
    public IPAddress Host { get; }

    /// <summary>The port, 0–65535.</summary>
    public int Port { get; }

    /// <summary>The identity the remote must prove when dialled, or null to accept any identity.</summary>
    public PeerId? ExpectedPeer { get; }

    /// <summary>The host in its text form: dotted IPv4 or IPv6 without brackets.</summary>
    public string HostText => Host.ToString();

    /// <summary>Creates an address from its parts (used by transports that learn a bound port).</summary>
    internal static TransportAddress Create(TransportScheme scheme, IPAddress host, int port, PeerId? peer = null)
        => new(scheme, host, port, peer);

    /// <summary>The same address pinned to <paramref name="peer"/>.</summary>
    public TransportAddress WithPeer(PeerId? peer) => new(Scheme, Host, Port, peer);

    /// <summary>The same address with another port (a listener reporting the port it was given).</summary>
    public TransportAddress WithPort(int port) => new(Scheme, Host, port, ExpectedPeer);

    /// <summary>Parses <paramref name="text"/> or throws <see cref="FormatException"/> with the reason.</summary>
    public static TransportAddress Parse(string text)
        => TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    /// <summary>
    /// Parses an address. On failure <paramref name="error"/> is one sentence naming what was wrong;
    /// never throws on malformed text.
    /// </summary>
    public static bool TryParse(
        [NotNullWhen(true)] string? text,
        [NotNullWhen(true)] out TransportAddress? address,
        [NotNullWhen(false)] out string? error)
    {
        address = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "The address is empty; expected SCHEME://HOST:PORT such as tcp://127.0.0.1:4001.";
            return false;
        }

        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            error = $"'{text}' has no scheme; expected tcp://, quic:// or mem:// before HOST:PORT.";
            return false;
        }

        var schemeText = text.AsSpan(0, separator);
        TransportScheme scheme;
        if (schemeText.Equals("tcp", StringComparison.OrdinalIgnoreCase))
        {
            scheme = TransportScheme.Tcp;
        }
        else if (schemeText.Equals("quic", StringComparison.OrdinalIgnoreCase))
        {
            scheme = TransportScheme.Quic;
        }
        else if (schemeText.Equals("mem", StringComparison.OrdinalIgnoreCase))
        {
            scheme = TransportScheme.Memory;
        }
        else
        {
            error = $"'{text}' has the unknown scheme '{schemeText}'; allowed are tcp, quic and mem.";
            return false;
        }

        var rest = text.AsSpan(separator + 3);
        PeerId? peer = null;
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            var tail = rest[slash..];
            if (!tail.StartsWith(PeerSegment, StringComparison.Ordinal))
            {
                error = $"'{text}' has an unexpected path '{tail}'; only /p2p/PEERID may follow HOST:PORT.";
                return false;
            }

            var peerText = tail[PeerSegment.Length..].ToString();
            if (!PeerId.TryParse(peerText, out var parsedPeer))
            {
                error = $"'{text}' pins '{peerText}', which is not a {PeerId.TextLength}-character base32 PeerId.";
                return false;
            }

            peer = parsedPeer;
            rest = rest[..slash];
        }

        ReadOnlySpan<char> hostText;
        ReadOnlySpan<char> portText;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                error = $"'{text}' has a malformed IPv6 host; expected [ADDRESS]:PORT such as [::1]:4001.";
                return false;
            }

            hostText = rest[1..close];
            portText = rest[(close + 2)..];
            if (!IPAddress.TryParse(hostText, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"'{text}' has '{hostText}' in brackets, which is not an IPv6 address.";
                return false;
            }

            return FinishPort(text, scheme, v6, portText, peer, out address, out error);
        }

        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            error = $"'{text}' has no port; expected HOST:PORT such as 127.0.0.1:4001.";
            return false;
        }

        hostText = rest[..colon];
        portText = rest[(colon + 1)..];
        if (hostText.Contains(':'))
        {
            error = $"'{text}' has an IPv6 host without brackets; write it as [{hostText}]:{portText}.";
            return false;
        }

        if (!IsDottedQuad(hostText) || !IPAddress.TryParse(hostText, out var v4))
        {
            error = $"'{text}' has the host '{hostText}', which is not a dotted IPv4 address; host names are not accepted.";
            return false;
        }

        return FinishPort(text, scheme, v4, portText, peer, out address, out error);
    }

    private static bool FinishPort(
        string text, TransportScheme scheme, IPAddress host, ReadOnlySpan<char> portText, PeerId? peer,
        out TransportAddress? address, out string? error)
    {
        address = null;
        if (portText.IsEmpty || portText.Length > 5 || !IsDigits(portText)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}' has the port '{portText}'; a port is a number from 0 to 65535.";
            return false;
        }

        address = new TransportAddress(scheme, host, port, peer);
        error = null;
        return true;
    }

    // IPAddress.TryParse accepts shorthand such as "1" or "0x7f.1"; an address book must have one spelling.
    private static bool IsDottedQuad(ReadOnlySpan<char> s)
    {
        var dots = 0;
        var digits = 0;
        foreach (var c in s)
        {
            if (c == '.')
            {
                if (digits == 0)
                {
                    return false;
                }

                dots++;
                digits = 0;
            }
            else if (c is >= '0' and <= '9')
            {
                if (++digits > 3)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        return dots == 3 && digits > 0;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The canonical text form, parseable by <see cref="TryParse"/>.</summary>
    public override string ToString()
    {
        var scheme = Scheme switch
        {
            TransportScheme.Tcp => "tcp",
            TransportScheme.Quic => "quic",
            _ => "mem",
        };
        var host = Host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host.ToString();
        var text = string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}:{Port}");
        return ExpectedPeer is { } p ? text + PeerSegment + p.ToString() : text;
    }

    /// <inheritdoc/>
    public bool Equals(TransportAddress? other)
        => other is not null && Scheme == other.Scheme && Port == other.Port && Host.Equals(other.Host)
            && Nullable.Equals(ExpectedPeer, other.ExpectedPeer);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TransportAddress);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Scheme, Host, Port, ExpectedPeer);
}
