using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class ShardIdTests
{
    [Fact]
    public void Compute_OfEmptyInput_IsTheBlake3EmptyHash()
    {
        // BLAKE3 of the empty string, from the BLAKE3 specification's reference output.
        Assert.Equal("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", ShardId.Compute([]).ToString());
    }

    [Fact]
    public void Parse_OfToString_RoundTrips()
    {
        var random = new Random(1);
        for (var i = 0; i < 100; i++)
        {
            var id = ShardId.FromBytes(TempStore.RandomBytes(random, 32));
            Assert.Equal(id, ShardId.Parse(id.ToString()));
            Assert.Equal(id, ShardId.Parse(id.ToString().ToUpperInvariant()));
            Assert.Equal(id, ShardId.FromBytes(id.ToArray()));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void FromBytes_WithWrongLength_IsRefused(int length)
    {
        Assert.False(ShardId.TryFromBytes(new byte[length], out _));
        Assert.Throws<ArgumentException>(() => ShardId.FromBytes(new byte[length]));
    }

    [Fact]
    public void TryParse_OfRandomText_NeverThrows()
    {
        var random = new Random(2);
        const string alphabet = "0123456789abcdefABCDEFxyz -\0é";
        for (var i = 0; i < 5000; i++)
        {
            var chars = new char[random.Next(0, 70)];
            for (var c = 0; c < chars.Length; c++)
            {
                chars[c] = alphabet[random.Next(alphabet.Length)];
            }

            var text = new string(chars);
            var parsed = ShardId.TryParse(text, out var id);
            Assert.Equal(parsed, text.Length == 64 && Array.TrueForAll(chars, Uri.IsHexDigit));
            if (parsed)
            {
                Assert.Equal(text.ToLowerInvariant(), id.ToString());
            }
        }

        Assert.Throws<FormatException>(() => ShardId.Parse("xyz"));
    }

    [Fact]
    public void CompareTo_OrdersAsBigEndianBytes()
    {
        var low = new byte[32];
        var high = new byte[32];
        low[31] = 0xFF;
        high[0] = 0x01;
        Assert.True(ShardId.FromBytes(low) < ShardId.FromBytes(high));
        Assert.NotEqual(ShardId.FromBytes(low), ShardId.FromBytes(high));
    }
}
