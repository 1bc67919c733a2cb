using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>Chooses the address the DHT tells peers to dial (sent with every request as the sender's address).</summary>
public static class AnnounceAddress
{
    /// <summary>
    /// The configured address when set; else the first listen address, with an unspecified host
    /// (0.0.0.0 or ::) replaced by <paramref name="interfaceAddress"/> of its family (by default this
    /// machine's first non-loopback address), falling back to loopback. Null when nothing listens.
    /// </summary>
    public static TransportAddress? Resolve(string configured, IReadOnlyList<TransportAddress> listening, Func<AddressFamily, IPAddress?>? interfaceAddress = null)
    {
        ArgumentNullException.ThrowIfNull(listening);
        if (!string.IsNullOrEmpty(configured))
        {
            return TransportAddress.Parse(configured);
        }

        if (listening.Count == 0)
        {
            return null;
        }

        var first = listening[0].WithPeer(null);
        if (!IPAddress.TryParse(first.HostText, out var host) || !(host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any)))
        {
            return first;
        }

        var family = host.AddressFamily;
        var chosen = (interfaceAddress ?? FirstInterfaceAddress)(family) ?? (family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback);
        var hostText = chosen.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{chosen}]" : chosen.ToString();
        var scheme = first.Scheme == TransportScheme.Quic ? "quic" : "tcp";
        return TransportAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"{scheme}://{hostText}:{first.Port}"));
    }

    /// <summary>The first up, non-loopback unicast address of <paramref name="family"/> (IPv6 link-local excluded: it needs a scope).</summary>
    public static IPAddress? FirstInterfaceAddress(AddressFamily family)
    {
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                {
                    continue;
                }

                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var a = unicast.Address;
                    if (a.AddressFamily == family && !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)
                    {
                        return a;
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list (a restricted sandbox): fall back to loopback.
        }

        return null;
    }
}
