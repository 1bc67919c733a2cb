using System.Buffers.Binary;
using System.Text;
using Overlay.Crypto;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;

namespace Overlay.Dht.Tests;

public sealed class PeerAddressTests
{
    public static TheoryData<string> CanonicalAddresses()
    {
        var data = new TheoryData<string>();
        foreach (var scheme in new[] { "tcp", "quic", "mem" })
        {
            foreach (var host in new[] { "127.0.0.1", "203.0.113.7", "0.0.0.0", "255.255.255.255", "10.20.30.40", "[::1]", "[::]", "[2001:db8::7]", "[2001:db8:1:2:3:4:5:6]", "[::ffff:1.2.3.4]", "[fe80::1:2:3:4]" })
            {
                foreach (var port in new[] { 0, 1, 4001, 65535 })
                {
                    data.Add($"{scheme}://{host}:{port}");
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CanonicalAddresses))]
    public void Of_CanonicalAddress_IsHeldInBinaryAndSpellsItBack(string text)
    {
        var held = PeerAddress.Of(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        var written = new byte[bytes.Length + 8];

        Assert.True(held.IsCompact);
        Assert.False(held.IsNone);
        Assert.Equal(text, held.Text);
        Assert.Equal(bytes.Length, held.Utf8Length);
        Assert.Equal(bytes.Length, held.WriteUtf8(written));
        Assert.Equal(bytes, written.AsSpan(0, bytes.Length).ToArray());
        Assert.True(held.TextEquals(bytes));
        Assert.Equal(held, PeerAddress.Of(text));
        Assert.Equal(held.GetHashCode(), PeerAddress.Of(text).GetHashCode());
    }

    [Fact]
    public void Equals_AddressesDifferingInOnePart_AreDifferent()
    {
        string[] texts = ["tcp://192.0.2.1:4001", "quic://192.0.2.1:4001", "mem://192.0.2.1:4001", "tcp://192.0.2.2:4001", "tcp://192.0.2.1:4002", "tcp://[::ffff:192.0.2.1]:4001", "tcp://[2001:db8::1]:4001", "tcp://[2001:db8::2]:4001"];
        for (var i = 0; i < texts.Length; i++)
        {
            for (var j = 0; j < texts.Length; j++)
            {
                Assert.Equal(i == j, PeerAddress.Of(texts[i]) == PeerAddress.Of(texts[j]));
                Assert.Equal(i == j, PeerAddress.Of(texts[i]).TextEquals(Encoding.UTF8.GetBytes(texts[j])));
            }
        }
    }

    [Theory]
    [InlineData("TCP://127.0.0.1:4001")]
    [InlineData("tcp://[2001:DB8::7]:4001")]
    [InlineData("tcp://[2001:db8:0::7]:4001")]
    [InlineData("tcp://[fe80::1%3]:4001")]
    [InlineData("tcp://127.0.0.1:04001")]
    [InlineData("not an address")]
    [InlineData("udp://127.0.0.1:4001")]
    [InlineData("tcp://example.org:4001")]
    [InlineData("")]
    public void Of_TextThatIsNotCanonical_KeepsTheTextAsGiven(string text)
    {
        var held = PeerAddress.Of(text);

        Assert.False(held.IsCompact);
        Assert.False(held.IsNone);
        Assert.Equal(text, held.Text);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), held.Utf8Length);
        Assert.Equal(held, PeerAddress.Of(text));
    }

    [Fact]
    public void Of_AddressPinningAPeer_KeepsThePinInTheText()
    {
        var peer = NodeIdentity.FromRandom(new Random(3)).PeerId;
        var text = "tcp://192.0.2.1:4001/p2p/" + peer;

        var held = PeerAddress.Of(text);

        Assert.False(held.IsCompact);
        Assert.Equal(text, held.Text);
    }

    [Fact]
    public void Of_Null_IsNone()
    {
        Assert.True(PeerAddress.Of(null).IsNone);
        Assert.Null(PeerAddress.Of(null).Text);
        Assert.Equal(0, PeerAddress.None.Utf8Length);
        Assert.False(PeerAddress.None.TextEquals([]));
    }

    [Fact]
    public void WriteContacts_BinaryAndTextAddresses_DecodeToTheSameTextAndBytes()
    {
        var random = new Random(5);
        DhtPeer[] peers =
        [
            new(NodeIdentity.FromRandom(random).PeerId, "tcp://203.0.113.7:4001", default),
            new(NodeIdentity.FromRandom(random).PeerId, "quic://[2001:db8::7]:4001", default),
            new(NodeIdentity.FromRandom(random).PeerId, "mem://10.0.0.9:41001", default),
            new(NodeIdentity.FromRandom(random).PeerId, "TCP://203.0.113.8:4001", default),
        ];
        var buffer = new byte[DhtContactCodec.ContactsLength(peers)];
        DhtContactCodec.WriteContacts(buffer, peers);

        ReadOnlySpan<byte> rest = buffer;
        Assert.True(DhtContactCodec.TryReadContacts(ref rest, DhtTestNetwork.DefaultOptions(), out var decoded, out var error), error.ToString());
        Assert.True(rest.IsEmpty);
        Assert.Equal(peers.Select(p => p.Address), decoded.Select(p => p.Address));
        Assert.Equal(peers.Select(p => p.Dialable.IsCompact), decoded.Select(p => p.Dialable.IsCompact));

        // The bytes are those of the text: the wire format does not depend on how an address is held.
        var again = new byte[buffer.Length];
        DhtContactCodec.WriteContacts(again, decoded);
        Assert.Equal(buffer, again);
        Assert.Contains("TCP://203.0.113.8:4001"u8.ToArray(), Slices(buffer, 22));
    }

    [Fact]
    public void Utf8Length_OfSeededIpv4Addresses_IsTheLengthOfTheirText()
    {
        var random = new Random(11);
        string[] schemes = ["tcp", "quic", "mem"];
        int[] octets = [0, 9, 10, 99, 100, 255];
        int[] ports = [0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535];
        for (var i = 0; i < 2000; i++)
        {
            // Every digit count of every part, then uniformly random parts.
            var a = i < 1000 ? octets[random.Next(octets.Length)] : random.Next(256);
            var port = i < 1000 ? ports[random.Next(ports.Length)] : random.Next(65536);
            var text = $"{schemes[i % 3]}://{a}.{random.Next(256)}.{octets[i % octets.Length]}.{random.Next(256)}:{port}";
            var held = PeerAddress.Of(text);

            Assert.True(held.IsCompact, text);
            Assert.Equal(text.Length, held.Utf8Length);
        }
    }

    [Fact]
    public void Address_OfAnIpv4ContactAnAnswerNamed_IsReadWithoutAllocating()
    {
        var random = new Random(13);
        DhtPeer[] peers =
        [
            new(NodeIdentity.FromRandom(random).PeerId, "tcp://198.51.100.23:4001", default),
            new(NodeIdentity.FromRandom(random).PeerId, "quic://198.51.100.24:4002", default),
        ];
        var buffer = new byte[DhtContactCodec.ContactsLength(peers)];
        DhtContactCodec.WriteContacts(buffer, peers);

        // The process-wide decode cache is shared with tests running alongside, which may take the slot
        // between decoding and reading; one clean attempt of three shows the read allocates nothing.
        var allocated = new long[3];
        for (var attempt = 0; attempt < allocated.Length; attempt++)
        {
            ReadOnlySpan<byte> rest = buffer;
            Assert.True(DhtContactCodec.TryReadContacts(ref rest, DhtTestNetwork.DefaultOptions(), out var decoded, out _));
            Assert.True(decoded[0].Dialable.IsCompact && decoded[1].Dialable.IsCompact);
            _ = decoded[0].Address;
            var before = GC.GetAllocatedBytesForCurrentThread();
            var first = decoded[0].Address;
            var second = decoded[1].Address;
            allocated[attempt] = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(peers[0].Address, first);
            Assert.Equal(peers[1].Address, second);
        }

        Assert.Contains(0, allocated);
    }

    [Fact]
    public void Address_OfABinaryAddressNoAnswerNamed_IsFormatted()
    {
        var held = PeerAddress.Of("tcp://192.0.2.201:40999");

        Assert.True(held.IsCompact);
        Assert.Equal("tcp://192.0.2.201:40999", held.Text);
        Assert.Equal("tcp://192.0.2.201:40999", new DhtPeer(PeerId.FromBytes(new byte[PeerId.Size]), "tcp://192.0.2.201:40999", default).Address);
    }

    [Theory]
    [InlineData("tcp://256.0.0.1:4001")]
    [InlineData("tcp://127.0.0.1:65536")]
    [InlineData("tcp://[::1:4001")]
    [InlineData("ftp://127.0.0.1:4001")]
    [InlineData("tcp://127.0.0.1")]
    public void TryReadContacts_MalformedAddress_IsBadAddress(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(DhtWireError.BadAddress, ReadOneContact(bytes));
    }

    [Fact]
    public void TryReadContacts_InvalidUtf8OrEmptyAddress_IsBadAddress()
    {
        Assert.Equal(DhtWireError.BadAddress, ReadOneContact([0x74, 0x63, 0x70, 0xFF, 0xFE]));
        Assert.Equal(DhtWireError.BadAddress, ReadOneContact([]));
    }

    private static DhtWireError ReadOneContact(byte[] address)
    {
        var buffer = new byte[2 + PeerId.Size + 2 + address.Length + 1];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, 1);
        NodeIdentity.FromRandom(new Random(9)).PeerId.WriteTo(buffer.AsSpan(2));
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2 + PeerId.Size), (ushort)address.Length);
        address.CopyTo(buffer.AsSpan(2 + PeerId.Size + 2));
        ReadOnlySpan<byte> rest = buffer;
        Assert.False(DhtContactCodec.TryReadContacts(ref rest, DhtTestNetwork.DefaultOptions(), out _, out var error));
        return error;
    }

    private static IEnumerable<byte[]> Slices(byte[] buffer, int length)
    {
        for (var i = 0; i + length <= buffer.Length; i++)
        {
            yield return buffer.AsSpan(i, length).ToArray();
        }
    }
}
