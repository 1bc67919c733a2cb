using System.Text;
using Overlay.Transport.Admission;

namespace Overlay.Transport.Tests.Admission;

public sealed class RefusalNoticeTests
{
    [Theory]
    [InlineData("address_limit")]
    [InlineData("pending_limit")]
    [InlineData("x")]
    public void Encode_ThenDecode_GivesTheReasonBack(string reason)
    {
        var notice = RefusalNotice.Encode(reason);
        Assert.Equal(RefusalNotice.FirstByte, notice[0]);
        Assert.True(notice.Length <= RefusalNotice.MaxBytes);
        Assert.True(RefusalNotice.TryDecode(notice, out var decoded, out _));
        Assert.Equal(reason, decoded);
    }

    [Fact]
    public void TryDecode_EveryPrefixOfANotice_AsksForMore()
    {
        var notice = RefusalNotice.Encode("address_limit");
        for (var n = 1; n < notice.Length; n++)
        {
            Assert.False(RefusalNotice.TryDecode(notice.AsSpan(0, n), out _, out var needMore));
            Assert.True(needMore, $"prefix of {n} bytes");
        }
    }

    [Theory]
    [InlineData("OVERLAY-REFUSED \n")]
    [InlineData("OVERLAY-REFUSED Address_Limit\n")]
    [InlineData("OVERLAY-REFUSED address limit\n")]
    [InlineData("OVERLAY-REFUSE address_limit\n")]
    [InlineData("OVERLAY-REFUSED aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n")]
    [InlineData("Other text\n")]
    public void TryDecode_MalformedLine_IsNoNotice(string text)
    {
        Assert.False(RefusalNotice.TryDecode(Encoding.ASCII.GetBytes(text), out _, out var needMore));
        Assert.False(needMore);
    }

    [Fact]
    public void TryDecode_TlsRecordStart_IsNoNotice()
    {
        // A ServerHello record: content type 22, version 3.3.
        Assert.False(RefusalNotice.TryDecode(new byte[] { 0x16, 0x03, 0x03, 0x00, 0x7a, 0x02 }, out _, out var needMore));
        Assert.False(needMore);
    }

    [Fact]
    public void TryDecode_SeededRandomBytesAndMutations_NeverThrowsAndOnlyAcceptsWellFormedTokens()
    {
        var random = new Random(5);
        var valid = RefusalNotice.Encode("pending_limit");
        for (var i = 0; i < 100_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 80)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])valid.Clone();
                input[random.Next(input.Length)] = (byte)random.Next(256);
            }

            if (RefusalNotice.TryDecode(input, out var reason, out _))
            {
                Assert.Matches("^[a-z_]+$", reason);
            }
        }
    }
}
