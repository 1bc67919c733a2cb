using System.Globalization;
using Overlay.Testing;

namespace Overlay.Integration.Tests;

/// <summary>
/// <c>overlay hash</c> as a real process with the runtime's vector instruction sets switched off one
/// level at a time, so the Blake3 package's narrower paths (AVX2, SSE4.1, SSE2, scalar), which this
/// processor would never choose on its own, give the official vectors too. The default path is covered
/// in process by Node.Tests for every vector; here a set of lengths that reaches each many-chunk width.
/// </summary>
public sealed class HashInstructionSetTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-hash-isa").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // .NET 10's switches: each one also turns off every wider set.
    public static TheoryData<string> Switches() => new(
        "DOTNET_EnableAVX512",
        "DOTNET_EnableAVX2",
        "DOTNET_EnableSSE42",
        "DOTNET_EnableHWIntrinsic");

    [Theory]
    [MemberData(nameof(Switches))]
    public async Task Hash_WithAnInstructionSetSwitchedOff_PrintsTheOfficialVectors(string variable)
    {
        var environment = new Dictionary<string, string?> { [variable] = "0" };

        // One block, one chunk and a byte, then 5, 8, 31 and 100 chunks: the 4-, 8- and 16-wide paths and their tails.
        foreach (var length in new[] { 0, 65, 1025, 5121, 8193, 31744, 102400 })
        {
            var c = Blake3Vectors.Case(length);
            var file = Path.Combine(_dir, $"input-{length}");
            await File.WriteAllBytesAsync(file, Blake3Vectors.Input(length), TestContext.Current.CancellationToken);

            var (code, output) = await NodeProcess.RunAsync(
                Timeout, environment, "hash", file, "--length", Blake3VectorCase.OutputLength.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(0, code);
            Assert.Equal($"{c.Hash}  {file}", output.Trim());
        }
    }
}
