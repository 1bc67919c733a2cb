namespace Overlay.Placement.Selection;

/// <summary>How a placement fell short of what was asked.</summary>
public enum ShortfallKind
{
    /// <summary>A replica shares a public /24 or /48 with another: no candidate of another network was left.</summary>
    SubnetCap,

    /// <summary>A replica makes its region or coordinate cluster hold more than ⌈r/2⌉: no candidate elsewhere was left.</summary>
    ClusterCap,

    /// <summary>A replica could not be placed at all: fewer eligible candidates than replicas.</summary>
    Missing,
}
