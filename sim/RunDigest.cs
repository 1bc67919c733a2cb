using System.Globalization;
using Overlay.Transport.InMemory;

namespace Overlay.Sim;

/// <summary>
/// The line <c>--event-digest</c> adds to a run's output: the digest of every delivery and how many
/// continuations came back to the scheduler from another thread. Two processes run with one seed print
/// the same line, or the run is not reproducible (tests/Dht.Tests/SimProcessDeterminismTests.cs). The
/// simulator's networks fail a run with any such continuation, so a run that prints the line had none.
/// </summary>
internal static class RunDigest
{
    public static string Line(InMemoryNetwork net) =>
        string.Create(CultureInfo.InvariantCulture,
            $"event digest {net.Digest?.ToHex() ?? "(not kept)"} over {net.Digest?.Count ?? 0} deliveries; {net.Scheduler.ForeignPosts} continuations posted from off the scheduler");
}
