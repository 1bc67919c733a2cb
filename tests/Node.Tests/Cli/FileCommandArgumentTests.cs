using Overlay.Node.Cli;
using Overlay.Node.Control;
using Overlay.Node.Files;

namespace Overlay.Node.Tests.Cli;

/// <summary>The file commands' argument mistakes: one sentence and exit 64, before any daemon is asked.</summary>
public sealed class FileCommandArgumentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-file-cli").FullName;
    private readonly OverlayCli _cli = new(Commands.All());

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(new[] { "store" }, "was given 0 argument(s)")]
    [InlineData(new[] { "store", "f", "--code", "10" }, "is not K+M")]
    [InlineData(new[] { "store", "f", "--code", "0+4" }, "is not K+M")]
    [InlineData(new[] { "store", "f", "--code", "200+57" }, "is not K+M")]
    [InlineData(new[] { "fetch", "abc" }, "is not a content id")]
    [InlineData(new[] { "fetch", "0000000000000000000000000000000000000000000000000000000000000000", "--range", "9-3" }, "is not A-B")]
    [InlineData(new[] { "fetch", "0000000000000000000000000000000000000000000000000000000000000000", "--range", "-3" }, "is not A-B")]
    [InlineData(new[] { "pin", "xyz" }, "is not a content id")]
    [InlineData(new[] { "unpin" }, "was given 0 argument(s)")]
    [InlineData(new[] { "status", "nope" }, "is not a content id")]
    [InlineData(new[] { "ls", "extra" }, "was given 1 argument(s)")]
    public async Task Arguments_Mistakes_AreOneSentenceAndExit64(string[] args, string expected)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext(output, error, _ => null) { WorkingDirectory = _dir };
        var code = await _cli.RunAsync([.. args, "--data-dir", _dir], context, TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().Trim().Split('\n'));
    }

    [Theory]
    [InlineData("10+4", true)]
    [InlineData("1+1", true)]
    [InlineData("128+128", true)]
    [InlineData("128+129", false)]
    [InlineData("+4", false)]
    [InlineData("10+", false)]
    [InlineData("10 + 4", false)]
    [InlineData("-1+4", false)]
    [InlineData("99999999999+1", false)]
    public void TryParseCode_AcceptsOnlyValidCodes(string text, bool valid) =>
        Assert.Equal(valid, FileControlCommands.TryParseCode(text, out _, out _));

    [Fact]
    public void ByteRangeTryParse_RandomText_NeverThrows()
    {
        var random = new Random(77);
        const string alphabet = "0123456789-+ x";
        for (var i = 0; i < 5000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            if (ByteRange.TryParse(text, out var range))
            {
                Assert.True(range.First >= 0 && range.Last >= range.First, text);
            }
        }
    }
}
