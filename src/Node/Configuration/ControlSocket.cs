namespace Overlay.Node.Configuration;

/// <summary>Where the control API listens (docs/PROTOCOL.md, "Control API").</summary>
public enum ControlSocket
{
    /// <summary>
    /// A Unix domain socket, <c>control.sock</c> in the data directory, mode 0600: the kernel lets only
    /// the daemon's user (and root) connect at all.
    /// </summary>
    Unix,

    /// <summary>
    /// TCP on 127.0.0.1, port <see cref="ControlOptions.Port"/>: every local user can connect, and only
    /// the token keeps them out. For systems or data directories where a Unix socket cannot be made.
    /// </summary>
    Tcp,
}
