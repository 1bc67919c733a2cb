using System.Net;
using System.Net.Sockets;

namespace Overlay.Transport;

/// <summary>
/// The one classification of addresses by scope. Connection limits per address
/// (<see cref="TransportOptions.MaxConnectionsPerAddress"/> and its loopback and private twins) and
/// the DHT's per-subnet diversity limits both rest on it, so a node that the DHT lets into its table
/// is never turned away at the socket for the same address.
/// </summary>
public static class AddressScopes
{
    /// <summary>The scope of <paramref name="address"/>; an IPv4-mapped IPv6 address is judged as its IPv4 address.</summary>
    public static AddressScope Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return AddressScope.Loopback;
        }

        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out var written))
        {
            return AddressScope.Public;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && written == 4)
        {
            var isPrivate = b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
            return isPrivate ? AddressScope.Private : AddressScope.Public;
        }

        var isSiteLocalV6 = address.AddressFamily == AddressFamily.InterNetworkV6 && written == 16 &&
            ((b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80));
        return isSiteLocalV6 ? AddressScope.Private : AddressScope.Public;
    }
}
