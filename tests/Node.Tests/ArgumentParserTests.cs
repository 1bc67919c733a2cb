using Overlay.Node;
using Overlay.Node.Cli;

namespace Overlay.Node.Tests;

public sealed class ArgumentParserTests
{
    private static readonly IReadOnlyDictionary<string, CommandSpec> Specs = new OverlayCli(Commands.All()).Specs;

    [Fact]
    public void Parse_HashWithLength_ReadsPositionalAndOption()
    {
        var parsed = ArgumentParser.Parse(["hash", "file.bin", "--length", "64"], Specs);
        Assert.Equal("hash", parsed.Command);
        Assert.Equal(["file.bin"], parsed.Positionals);
        Assert.Equal(64, parsed.PositiveInteger("--length", 32, 1 << 20));
    }

    [Fact]
    public void Parse_InlineValue_IsAccepted()
    {
        var parsed = ArgumentParser.Parse(["id", "--data-dir=/tmp/x"], Specs);
        Assert.Equal("/tmp/x", parsed.Single("--data-dir"));
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "not an overlay command")]
    [InlineData(new[] { "hash" }, "was given 0 argument(s)")]
    [InlineData(new[] { "hash", "a", "b" }, "was given 2 argument(s)")]
    [InlineData(new[] { "hash", "a", "--length" }, "needs a value")]
    [InlineData(new[] { "id", "--bogus" }, "has no option --bogus")]
    [InlineData(new[] { "id", "--data-dir", "a", "--data-dir", "b" }, "only once")]
    public void Parse_Mistakes_AreOneSentence(string[] args, string expected)
    {
        var e = Assert.Throws<CliUsageException>(() => ArgumentParser.Parse(args, Specs));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("99999999999999999999999")]
    [InlineData("1048577")]
    public void PositiveInteger_OutOfRange_IsUsageError(string value)
    {
        var parsed = ArgumentParser.Parse(["hash", "f", "--length", value], Specs);
        Assert.Throws<CliUsageException>(() => parsed.PositiveInteger("--length", 32, 1 << 20));
    }

    [Fact]
    public void Parse_OversizedArgument_IsRefused()
    {
        var e = Assert.Throws<CliUsageException>(() => ArgumentParser.Parse(["hash", new string('a', ArgumentParser.MaxArgumentLength + 1)], Specs));
        Assert.Contains("characters long", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_RandomArguments_NeverThrowAndExitWithUsageOrFailure()
    {
        var cli = new OverlayCli(Commands.All());
        var random = new Random(1234);
        string[] words = ["hash", "id", "init", "run", "--data-dir", "--length", "--config", "--", "-", "=", "--length=", "help", "\0", "ü", ""];
        var dataDir = Directory.CreateTempSubdirectory("overlay-cli-fuzz").FullName;
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                var count = random.Next(0, 6);
                var args = new string[count];
                for (var j = 0; j < count; j++)
                {
                    args[j] = random.Next(4) == 0 ? RandomText(random) : words[random.Next(words.Length)];
                }

                // Commands that would start a node or create files are pointed at a scratch folder, never run.
                if (args.Length > 0 && args[0] is "run" or "init" or "id")
                {
                    continue;
                }

                using var output = new StringWriter();
                using var error = new StringWriter();
                var code = await cli.RunAsync(args, new CliContext(output, error, name => name == "OVERLAY_DATA_DIR" ? dataDir : null), TestContext.Current.CancellationToken);
                Assert.True(code is ExitCodes.Success or ExitCodes.Usage or ExitCodes.Failure, $"exit {code} for [{string.Join(' ', args)}]");
                Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 12)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next(1, 0x3000);
        }

        return new string(chars);
    }
}
