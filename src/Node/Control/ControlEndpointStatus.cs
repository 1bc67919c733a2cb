namespace Overlay.Node.Control;

/// <summary>What reading <c>control.endpoint</c> found.</summary>
public enum ControlEndpointStatus
{
    /// <summary>An endpoint of the daemon's.</summary>
    Found,

    /// <summary>No endpoint file: no daemon runs for the data directory.</summary>
    Missing,

    /// <summary>The file (or the data directory) cannot be read by this user.</summary>
    Unreadable,

    /// <summary>The file holds something the daemon never writes.</summary>
    Invalid,
}
