using System.Net;

namespace Overlay.Transport.Tests;

public sealed class AddressScopesTests
{
    [Theory]
    [InlineData("127.0.0.1", AddressScope.Loopback)]
    [InlineData("127.255.0.9", AddressScope.Loopback)]
    [InlineData("::1", AddressScope.Loopback)]
    [InlineData("::ffff:127.0.0.1", AddressScope.Loopback)]
    [InlineData("10.0.0.1", AddressScope.Private)]
    [InlineData("172.16.0.1", AddressScope.Private)]
    [InlineData("172.31.255.255", AddressScope.Private)]
    [InlineData("192.168.0.1", AddressScope.Private)]
    [InlineData("169.254.3.4", AddressScope.Private)]
    [InlineData("::ffff:192.168.0.1", AddressScope.Private)]
    [InlineData("fc00::1", AddressScope.Private)]
    [InlineData("fdff::1", AddressScope.Private)]
    [InlineData("fe80::1", AddressScope.Private)]
    [InlineData("febf::1", AddressScope.Private)]
    [InlineData("172.15.0.1", AddressScope.Public)]
    [InlineData("172.32.0.1", AddressScope.Public)]
    [InlineData("192.169.0.1", AddressScope.Public)]
    [InlineData("11.0.0.1", AddressScope.Public)]
    [InlineData("203.0.113.7", AddressScope.Public)]
    [InlineData("2001:db8::1", AddressScope.Public)]
    [InlineData("fec0::1", AddressScope.Public)]
    public void Of_ClassifiesByHowFarTheAddressRoutes(string address, AddressScope scope)
        => Assert.Equal(scope, AddressScopes.Of(IPAddress.Parse(address)));

    [Theory]
    [InlineData(AddressScope.Public, 16, "Transport:MaxConnectionsPerAddress")]
    [InlineData(AddressScope.Private, 256, "Transport:MaxConnectionsPerPrivateAddress")]
    [InlineData(AddressScope.Loopback, 1000, "Transport:MaxConnectionsPerLoopbackAddress")]
    public void MaxConnectionsPer_EachScopeHasItsOwnDefaultAndKey(AddressScope scope, int limit, string key)
    {
        Assert.Equal(limit, new TransportOptions().MaxConnectionsPer(scope));
        Assert.Equal(key, TransportOptions.KeyOfLimit(scope));
    }
}
