using System.Net;
using System.Net.Sockets;
using Overlay.Transport;

namespace Overlay.Dht.Routing;

/// <summary>
/// An opaque key naming the network a contact's address belongs to (IPv4 /24 or IPv6 /48). The
/// routing table limits how many contacts of one group it holds, so that a single operator with one
/// subnet cannot fill a bucket (eclipse resistance, as in Bitcoin's address buckets and libp2p's
/// diversity filter). Callers compute it from the address; the table never sees the address itself.
/// </summary>
public readonly record struct NetworkGroup(ulong Value)
{
    /// <summary>The group of contacts whose address is unknown; no diversity limit applies to it.</summary>
    public static NetworkGroup Unknown => default;

    /// <summary>True for <see cref="Unknown"/>.</summary>
    public bool IsUnknown => Value == 0;

    // A tag in the top byte keeps IPv4 and IPv6 groups apart and keeps every real group non-zero.
    private const ulong IPv4Tag = 4UL << 56;
    private const ulong IPv6Tag = 6UL << 56;

    /// <summary>The group of a transport address's host (<see cref="FromAddress(IPAddress)"/>); the address was parsed once, by the transport.</summary>
    public static NetworkGroup Of(TransportAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return FromAddress(address.Host);
    }

    /// <summary>
    /// The group of <paramref name="address"/>: its /24 for IPv4 (and IPv4-mapped IPv6), its /48 for IPv6;
    /// <see cref="Unknown"/> (no diversity limit) for loopback, private (RFC 1918), link-local and IPv6
    /// unique-local addresses.
    /// </summary>
    /// <remarks>
    /// The limits guard against one operator filling buckets from a public subnet it controls. Addresses
    /// that only route inside one host or one site say nothing about operators: every node of a LAN
    /// deployment or of a test on one machine shares one /24 there, and grouping them would cap such a
    /// network at <see cref="DhtOptions.MaxContactsPerGroupInTable"/> contacts. libp2p's routing-table
    /// diversity filter exempts the same ranges. A remote peer claiming such an address gains nothing: it
    /// is undialable from outside its site, and claimed addresses can pick any public /24 anyway.
    /// </remarks>
    public static NetworkGroup FromAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IsSiteLocal(address))
        {
            return Unknown;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return Unknown;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && written == 4)
        {
            return new NetworkGroup(IPv4Tag | ((ulong)bytes[0] << 16) | ((ulong)bytes[1] << 8) | bytes[2]);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && written == 16)
        {
            ulong prefix48 = 0;
            for (var i = 0; i < 6; i++)
            {
                prefix48 = (prefix48 << 8) | bytes[i];
            }

            return new NetworkGroup(IPv6Tag | prefix48);
        }

        return Unknown;
    }

    /// <summary>
    /// True for loopback, RFC 1918 private, IPv4/IPv6 link-local and IPv6 unique-local (fc00::/7) addresses:
    /// every scope but <see cref="AddressScope.Public"/> in the transport's one classification, so the
    /// transport's per-address connection limits and these diversity limits exempt the same addresses.
    /// </summary>
    public static bool IsSiteLocal(IPAddress address) => AddressScopes.Of(address) != AddressScope.Public;
}
