namespace Overlay.Placement.Trust;

/// <summary>How an EigenTrust computation ended.</summary>
/// <param name="Iterations">Iterations run (1 or more).</param>
/// <param name="Residual">L1 distance between the last two iterates.</param>
/// <param name="Converged">True when <paramref name="Residual"/> fell below the tolerance.</param>
public readonly record struct EigenTrustRun(int Iterations, double Residual, bool Converged);
