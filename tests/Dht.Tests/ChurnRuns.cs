using System.Globalization;
using Overlay.Sim.Churn;

namespace Overlay.Dht.Tests;

/// <summary>Runs <c>Overlay.Sim churn</c> on the PlanetLab matrix and writes its report to the test's output.</summary>
internal static class ChurnRuns
{
    public static ChurnResult Run(ChurnSettings settings, ITestOutputHelper output)
    {
        var result = new ChurnRun(settings, SharedLatency.PlanetLab).Run();
        var text = new StringWriter(CultureInfo.InvariantCulture);
        ChurnCommand.Report(result, text);
        output.WriteLine(text.ToString());
        return result;
    }
}
