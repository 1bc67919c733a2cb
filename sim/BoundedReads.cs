namespace Overlay.Sim;

/// <summary>What <see cref="BoundedReadBack.RunAsync"/> did.</summary>
/// <param name="Results">Each read's result, by index.</param>
/// <param name="Starts">How many times each index was started.</param>
/// <param name="MostInFlight">The most reads under way at once.</param>
internal sealed record BoundedReads<T>(T[] Results, int[] Starts, int MostInFlight);
