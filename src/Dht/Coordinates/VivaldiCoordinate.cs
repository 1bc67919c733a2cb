namespace Overlay.Dht.Coordinates;

/// <summary>
/// A Vivaldi network coordinate (Dabek et al., SIGCOMM 2004, §5.4): a point of a 2-D Euclidean plane
/// plus a non-negative height, all in milliseconds. The predicted RTT between two nodes is the planar
/// distance plus both heights; the height models the access link every packet crosses.
/// </summary>
public readonly record struct VivaldiCoordinate(double X, double Y, double Height)
{
    /// <summary>Largest magnitude accepted from a peer, in ms; anything beyond is refused as bogus.</summary>
    public const double MaxMagnitudeMs = 100_000;

    /// <summary>Kilometres of great-circle distance per millisecond of RTT used by <see cref="FromLocation"/>.</summary>
    public const double KilometresPerRttMs = 65;

    /// <summary>The origin with zero height.</summary>
    public static VivaldiCoordinate Origin => default;

    /// <summary>Predicted round-trip time to <paramref name="other"/> in ms.</summary>
    public double DistanceTo(VivaldiCoordinate other)
    {
        var dx = X - other.X;
        var dy = Y - other.Y;
        return Math.Sqrt((dx * dx) + (dy * dy)) + Height + other.Height;
    }

    /// <summary>True when every component is finite, within <see cref="MaxMagnitudeMs"/>, and the height is not negative.</summary>
    public bool IsValid =>
        double.IsFinite(X) && double.IsFinite(Y) && double.IsFinite(Height) &&
        Math.Abs(X) <= MaxMagnitudeMs && Math.Abs(Y) <= MaxMagnitudeMs && Height >= 0 && Height <= MaxMagnitudeMs;

    /// <summary>
    /// A starting coordinate from a location hint (degrees): an equirectangular projection scaled so
    /// that 1 ms of RTT stands for <see cref="KilometresPerRttMs"/> km (light in fibre covers about
    /// 100 km per RTT-ms, and real routes are about 1.5 times longer than great circles). It is only a
    /// seed: distances across the antimeridian are wrong, and measurement corrects them.
    /// </summary>
    public static VivaldiCoordinate FromLocation(double latitudeDegrees, double longitudeDegrees)
    {
        const double EarthRadiusKm = 6371;
        var lat = Math.Clamp(latitudeDegrees, -90, 90) * Math.PI / 180;
        var lon = Math.Clamp(longitudeDegrees, -180, 180) * Math.PI / 180;
        return new VivaldiCoordinate(
            EarthRadiusKm * lon * Math.Cos(lat) / KilometresPerRttMs,
            EarthRadiusKm * lat / KilometresPerRttMs,
            0);
    }
}
