using System.Net;
using System.Net.Sockets;
using Overlay.Node.Hosting;
using Overlay.Transport;

namespace Overlay.Node.Tests;

public sealed class AnnounceAddressTests
{
    private const string Peer = "/p2p/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    [Fact]
    public void Resolve_Configured_Wins()
    {
        var chosen = AnnounceAddress.Resolve("tcp://203.0.113.7:4001", [TransportAddress.Parse("tcp://127.0.0.1:5000")]);
        Assert.Equal("tcp://203.0.113.7:4001", chosen!.ToString());
    }

    [Fact]
    public void Resolve_SpecificListenHost_IsAnnouncedWithoutThePeerId()
    {
        var chosen = AnnounceAddress.Resolve(string.Empty, [TransportAddress.Parse("tcp://127.0.0.1:5000" + Peer)]);
        Assert.Equal("tcp://127.0.0.1:5000", chosen!.ToString());
    }

    [Fact]
    public void Resolve_UnspecifiedHost_IsReplacedByAnInterfaceAddressOfItsFamily()
    {
        var v4 = AnnounceAddress.Resolve(string.Empty, [TransportAddress.Parse("tcp://0.0.0.0:4001")], f => f == AddressFamily.InterNetwork ? IPAddress.Parse("192.168.1.20") : null);
        Assert.Equal("tcp://192.168.1.20:4001", v4!.ToString());
        var v6 = AnnounceAddress.Resolve(string.Empty, [TransportAddress.Parse("tcp://[::]:4001")], f => f == AddressFamily.InterNetworkV6 ? IPAddress.Parse("fd00::5") : null);
        Assert.Equal("tcp://[fd00::5]:4001", v6!.ToString());
    }

    [Fact]
    public void Resolve_UnspecifiedHostWithoutInterfaces_FallsBackToLoopback_AndNoListenerIsNull()
    {
        var chosen = AnnounceAddress.Resolve(string.Empty, [TransportAddress.Parse("tcp://0.0.0.0:4001")], _ => null);
        Assert.Equal("tcp://127.0.0.1:4001", chosen!.ToString());
        Assert.Null(AnnounceAddress.Resolve(string.Empty, []));
    }
}
