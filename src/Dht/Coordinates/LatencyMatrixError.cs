namespace Overlay.Dht.Coordinates;

/// <summary>Where and why a latency matrix was refused; <see cref="Line"/> and <see cref="Column"/> count from 1 (0 when not applicable).</summary>
public readonly record struct LatencyMatrixError(LatencyMatrixErrorKind Kind, int Line, int Column)
{
    /// <summary>One sentence describing the problem.</summary>
    public override string ToString() => FormattableString.Invariant($"Latency matrix refused: {Kind} at line {Line}, column {Column}.");
}
