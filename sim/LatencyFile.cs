using System.Diagnostics.CodeAnalysis;
using Overlay.Dht.Coordinates;

namespace Overlay.Sim;

/// <summary>The <c>--latency PATH</c> argument of the simulator's commands: an RTT matrix in milliseconds, read and checked.</summary>
internal static class LatencyFile
{
    /// <summary>Reads the matrix at <paramref name="path"/>; false, with the reason written to <paramref name="error"/>, when it is missing or refused.</summary>
    public static bool TryRead(string? path, TextWriter error, [NotNullWhen(true)] out LatencyMatrix? matrix)
    {
        matrix = null;
        if (path is null || !File.Exists(path))
        {
            error.WriteLine($"The latency matrix '{path}' does not exist; pass --latency PATH to an RTT matrix in milliseconds.");
            return false;
        }

        if (!LatencyMatrix.TryParse(File.ReadAllText(path), 1.0, out var parsed, out var problem) || parsed is null)
        {
            error.WriteLine($"The latency matrix '{path}' was refused: {problem}");
            return false;
        }

        matrix = parsed;
        return true;
    }
}
