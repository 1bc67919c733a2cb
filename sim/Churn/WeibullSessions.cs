namespace Overlay.Sim.Churn;

/// <summary>
/// Session times drawn from a Weibull distribution, F(t) = 1 − exp(−(t/λ)^k), by inverting its CDF with
/// one uniform draw of the run's seeded source. A shape k below 1 is heavy-tailed: most sessions are short,
/// a few last days, as measured in deployed peer-to-peer systems.
/// </summary>
internal sealed class WeibullSessions(double shape, TimeSpan scale, Random random)
{
    public double Shape => shape;

    public TimeSpan Scale => scale;

    public TimeSpan Next()
    {
        // 1 − NextDouble() is in (0, 1]: the logarithm is finite.
        var u = 1 - random.NextDouble();
        return scale * Math.Pow(-Math.Log(u), 1 / shape);
    }
}
