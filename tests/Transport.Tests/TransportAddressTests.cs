using Overlay.Crypto;

namespace Overlay.Transport.Tests;

public sealed class TransportAddressTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:4001", TransportScheme.Tcp, "127.0.0.1", 4001)]
    [InlineData("quic://[::1]:443", TransportScheme.Quic, "::1", 443)]
    [InlineData("mem://10.0.0.7:0", TransportScheme.Memory, "10.0.0.7", 0)]
    [InlineData("TCP://0.0.0.0:65535", TransportScheme.Tcp, "0.0.0.0", 65535)]
    public void TryParse_WellFormed_ReadsTheParts(string text, TransportScheme scheme, string host, int port)
    {
        Assert.True(TransportAddress.TryParse(text, out var address, out var error), error);
        Assert.Equal(scheme, address.Scheme);
        Assert.Equal(host, address.HostText);
        Assert.Equal(port, address.Port);
        Assert.Null(address.ExpectedPeer);
        Assert.Equal(address, TransportAddress.Parse(address.ToString()));
    }

    [Fact]
    public void TryParse_WithPinnedPeer_RoundTrips()
    {
        var peer = PeerId.Random(new Random(3));
        var text = $"tcp://127.0.0.1:4001/p2p/{peer}";
        var address = TransportAddress.Parse(text);
        Assert.Equal(peer, address.ExpectedPeer);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1:4001", "no scheme")]
    [InlineData("udp://127.0.0.1:1", "unknown scheme 'udp'")]
    [InlineData("tcp://127.0.0.1", "no port")]
    [InlineData("tcp://127.0.0.1:65536", "a port is a number from 0 to 65535")]
    [InlineData("tcp://127.0.0.1:-1", "a port is a number")]
    [InlineData("tcp://127.0.0.1:40x1", "a port is a number")]
    [InlineData("tcp://localhost:4001", "host names are not accepted")]
    [InlineData("tcp://1.2.3:4001", "not a dotted IPv4 address")]
    [InlineData("tcp://::1:4001", "without brackets")]
    [InlineData("tcp://[::1]4001", "malformed IPv6 host")]
    [InlineData("tcp://[127.0.0.1]:4001", "not an IPv6 address")]
    [InlineData("tcp://127.0.0.1:4001/ipfs/x", "only /p2p/PEERID")]
    [InlineData("tcp://127.0.0.1:4001/p2p/notapeer", "not a 52-character base32 PeerId")]
    public void TryParse_Malformed_FailsWithOneSentence(string text, string expectedFragment)
    {
        Assert.False(TransportAddress.TryParse(text, out var address, out var error));
        Assert.Null(address);
        Assert.Contains(expectedFragment, error, StringComparison.Ordinal);
        Assert.EndsWith(".", error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => TransportAddress.Parse(text));
    }
}
