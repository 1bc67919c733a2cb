using Overlay.Dht.Coordinates;
using Overlay.Testing;

namespace Overlay.Dht.Tests;

/// <summary>The PlanetLab RTT matrix from shared/testdata (490 hosts, ms), parsed once per test run.</summary>
internal static class SharedLatency
{
    private static readonly Lazy<LatencyMatrix> PlanetLabMatrix = new(() =>
    {
        var text = File.ReadAllText(TestData.PathOf("latency/PlanetLabData_1"));
        if (!LatencyMatrix.TryParse(text, 1.0, out var matrix, out var error))
        {
            throw new InvalidDataException(error.ToString());
        }

        return matrix!;
    });

    public static LatencyMatrix PlanetLab => PlanetLabMatrix.Value;
}
