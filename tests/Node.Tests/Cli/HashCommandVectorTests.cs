using Overlay.Node.Cli;
using Overlay.Testing;

namespace Overlay.Node.Tests.Cli;

/// <summary><c>overlay hash</c> on every official BLAKE3 vector input, at the default and the extended length.</summary>
public sealed class HashCommandVectorTests
{
    private readonly OverlayCli _cli = new(Commands.All());

    public static TheoryData<int> Lengths() => new(Blake3Vectors.Lengths());

    [Theory]
    [MemberData(nameof(Lengths))]
    public async Task Hash_OfStandardInput_PrintsTheOfficialHash(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var input = Blake3Vectors.Input(inputLength);

        Assert.Equal((ExitCodes.Success, $"{c.Hash32}  -\n", string.Empty), await RunAsync(input, "hash", "-"));
        Assert.Equal(
            (ExitCodes.Success, $"{c.Hash}  -\n", string.Empty),
            await RunAsync(input, "hash", "-", "--length", Blake3VectorCase.OutputLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(byte[] input, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter();
        var context = new CliContext(output, error, _ => null, () => new MemoryStream(input, writable: false));
        var code = await _cli.RunAsync(args, context, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }
}
