namespace Overlay.Crypto.Tests.Identity;

public sealed class PeerIdTextTests
{
    [Fact]
    public void FormatThenParse_RandomIds_RoundTrip()
    {
        var random = new Random(17);
        for (var i = 0; i < 2000; i++)
        {
            var id = PeerId.Random(random);
            var text = id.ToString();
            Assert.Equal(PeerId.TextLength, text.Length);
            Assert.Matches("^[a-z2-7]{52}$", text);
            Assert.Equal(id, PeerId.Parse(text));
            Assert.True(PeerId.TryParse(text, out var parsed));
            Assert.Equal(id, parsed);
        }
    }

    [Fact]
    public void Format_IdentityPeerId_RoundTrips()
    {
        using var identity = NodeIdentity.FromSeed(new byte[32]);
        Assert.Equal(identity.PeerId, PeerId.Parse(identity.PeerId.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 51
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 53
    [InlineData("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // uppercase
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa0aaaaaaaaaaaaaaaaaaaaaaaaaa")] // '0' is not base32
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa1aaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa8aaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa==")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaéaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")] // trailing bits set
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa7")]
    public void Parse_MalformedText_ThrowsFormatException_TryParseReturnsFalse(string text)
    {
        Assert.Throws<FormatException>(() => PeerId.Parse(text));
        Assert.False(PeerId.TryParse(text, out _));
        Assert.False(PeerId.TryParse(text.AsSpan(), out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parse_TrailingBits_OnlyTheTwoCanonicalLastCharactersParse()
    {
        // 52 characters carry 260 bits; the last character's low 4 bits must be zero: 'a' (0) or 'q' (16).
        var prefix = new string('a', 51);
        foreach (var c in "abcdefghijklmnopqrstuvwxyz234567")
        {
            Assert.Equal(c is 'a' or 'q', PeerId.TryParse(prefix + c, out _));
        }
    }

    [Fact]
    public void TryParse_RandomStrings_NeverThrows()
    {
        var random = new Random(99);
        const string pool = "abcdefghijklmnopqrstuvwxyz234567ABCXYZ01890=-_ \u00e9\u0000\uffff";
        var accepted = 0;
        for (var i = 0; i < 20000; i++)
        {
            var length = random.Next(3) == 0 ? PeerId.TextLength : random.Next(0, 70);
            var chars = new char[length];
            for (var j = 0; j < length; j++)
            {
                chars[j] = random.Next(4) == 0 ? (char)random.Next(0, 0x10000) : pool[random.Next(pool.Length)];
            }

            var text = new string(chars);
            if (PeerId.TryParse(text, out var id))
            {
                accepted++;
                Assert.Equal(text, id.ToString());
            }
            else
            {
                Assert.Throws<FormatException>(() => PeerId.Parse(text));
            }
        }

        Assert.True(accepted < 20000);
        Assert.False(PeerId.TryParse((string?)null, out _));
        Assert.Throws<ArgumentNullException>(() => PeerId.Parse(null!));
    }
}
