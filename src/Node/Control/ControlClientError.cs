namespace Overlay.Node.Control;

/// <summary>How a control request failed, from the client's side.</summary>
public enum ControlClientError
{
    /// <summary>No daemon runs for the data directory: no endpoint file, or nothing listens on it.</summary>
    NoDaemon,

    /// <summary>The token file is malformed, or the daemon refused the token.</summary>
    BadToken,

    /// <summary>This user may not read the data directory, the control files, or connect to the control socket.</summary>
    NoAccess,

    /// <summary>The daemon answered with an error (see <see cref="ControlClientException.DaemonError"/>).</summary>
    Refused,

    /// <summary>The daemon's answer was not a well-formed reply, or the connection broke.</summary>
    Protocol,
}
