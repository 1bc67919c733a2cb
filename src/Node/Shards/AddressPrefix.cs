using System.Net;
using System.Net.Sockets;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The network a sender stores from, for the per-prefix quota: its IPv4 /24 (IPv4-mapped IPv6 too) or
/// its IPv6 /48, as text ("203.0.113.0/24"). Unlike the routing table's diversity groups, private and
/// loopback ranges are not exempt: a quota is about what one operator may make a holder keep, and a
/// LAN is one operator here.
/// </summary>
public static class AddressPrefix
{
    /// <summary>The prefix of <paramref name="address"/>'s host; the host itself when it is not an IP address.</summary>
    public static string Of(TransportAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!IPAddress.TryParse(address.HostText, out var ip))
        {
            return address.HostText;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        var bytes = ip.GetAddressBytes();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[3] = 0;
            return new IPAddress(bytes) + "/24";
        }

        Array.Clear(bytes, 6, bytes.Length - 6);
        return new IPAddress(bytes) + "/48";
    }
}
