using System.Globalization;
using Overlay.Sim.Churn;

namespace Overlay.Dht.Tests;

/// <summary>Runs <c>Overlay.Sim churn</c> on the PlanetLab matrix and writes its report to the test's output.</summary>
internal static class ChurnRuns
{
    public static ChurnResult Run(ChurnSettings settings, ITestOutputHelper output)
    {
        var handed = new List<string>();
        var result = new ChurnRun(settings, SharedLatency.PlanetLab, sampled: x => handed.Add(x.ToCsv())).Run();
        // Every sample reaches the CSV as it is taken, in order: a run stopped early keeps what it measured.
        Assert.Equal(result.Samples.Select(x => x.ToCsv()), handed);
        var text = new StringWriter(CultureInfo.InvariantCulture);
        ChurnCommand.Report(result, text);
        output.WriteLine(text.ToString());
        return result;
    }
}
