namespace Overlay.Transport;

/// <summary>
/// How far an IP address routes, which decides how much one address may hold: a public address is
/// one operator's, while every node on one host shares a loopback address and every node of one LAN
/// deployment a private range (<see cref="AddressScopes.Of"/>).
/// </summary>
public enum AddressScope
{
    /// <summary>Routable on the Internet.</summary>
    Public,

    /// <summary>RFC 1918 private, IPv4/IPv6 link-local or IPv6 unique-local (fc00::/7): routes inside one site only.</summary>
    Private,

    /// <summary>127.0.0.0/8 or ::1: this host only.</summary>
    Loopback,
}
