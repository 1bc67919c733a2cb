namespace Overlay.Dht.Coordinates;

/// <summary>Constants of the Vivaldi algorithm; defaults are the paper's (cc = ce = 0.25).</summary>
public sealed class VivaldiOptions
{
    /// <summary>cc: fraction of the way a node moves towards the spring's rest position, scaled by relative confidence. Range (0, 1]; default 0.25.</summary>
    public double Cc { get; set; } = 0.25;

    /// <summary>ce: weight of a new sample in the moving error estimate. Range (0, 1]; default 0.25.</summary>
    public double Ce { get; set; } = 0.25;

    /// <summary>Error estimate of a fresh node (relative error). Default 1.0.</summary>
    public double InitialError { get; set; } = 1.0;

    /// <summary>Upper bound of the error estimate, so one wild sample cannot make a node ignore its own position. Default 1.5.</summary>
    public double MaxError { get; set; } = 1.5;

    /// <summary>Smallest height in ms. Default 0.01.</summary>
    public double MinHeight { get; set; } = 0.01;

    /// <summary>RTT samples kept per peer by the median filter (1 = no filtering). Range 1..32; default 5.</summary>
    public int FilterWindow { get; set; } = 5;

    /// <summary>Peers whose samples are filtered at once; older peers' windows are dropped beyond it. Default 4096.</summary>
    public int MaxFilteredPeers { get; set; } = 4096;
}
