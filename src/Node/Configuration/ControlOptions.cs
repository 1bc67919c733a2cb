namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>Control</c> section: the local control API that <c>overlay put</c>, <c>get</c> and <c>peers</c>
/// talk to (docs/PROTOCOL.md, "Control API"). It listens on a Unix socket in the data directory (or on
/// loopback TCP) and requires the token the daemon writes to <c>control.token</c> at every start.
/// </summary>
public sealed class ControlOptions
{
    public const string SectionName = "Control";

    /// <summary>Whether the daemon serves the control API. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// <see cref="ControlSocket.Unix"/> (the default): <c>control.sock</c> in the data directory, which
    /// only the daemon's user can connect to; <see cref="ControlSocket.Tcp"/>: 127.0.0.1:<see cref="Port"/>.
    /// </summary>
    public ControlSocket Socket { get; set; } = ControlSocket.Unix;

    /// <summary>
    /// With <see cref="ControlSocket.Tcp"/>: the port on 127.0.0.1; 0 (the default) picks a free port, so
    /// several nodes on one host never collide. The endpoint in use is written to <c>control.endpoint</c>
    /// in the data directory. 0 to 65535.
    /// </summary>
    public int Port { get; set; }

    /// <summary>Connections that have shown the token, served at once; more are refused with a Busy error (1 to 1024, default 16).</summary>
    public int MaxConnections { get; set; } = 16;

    /// <summary>
    /// Connections not yet past their first request (which must carry the token), held at once in a
    /// budget apart from <see cref="MaxConnections"/>; when it is full the oldest is closed for the
    /// newcomer (1 to 1024, default 64).
    /// </summary>
    public int MaxUnauthenticatedConnections { get; set; } = 64;

    /// <summary>Time a new connection has to send its first whole request, with the token (00:00:00.1 to 00:01:00, default 2 s).</summary>
    public TimeSpan AuthenticationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time a client has to send one whole request once it starts (00:00:00.1 to 00:10:00, default 10 s).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time one put or get may take in the network before it is answered with a Timeout error (00:00:01 to 00:10:00, default 1 minute).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (Port is < 0 or > 65535)
        {
            yield return OptionProblem.Describe(SectionName, nameof(Port), Port, "it must be between 0 and 65535");
        }

        if (MaxConnections is < 1 or > 1024)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxConnections), MaxConnections, "it must be between 1 and 1024");
        }

        if (!Enum.IsDefined(Socket))
        {
            yield return OptionProblem.Describe(SectionName, nameof(Socket), Socket, "it must be \"Unix\" or \"Tcp\"");
        }

        if (MaxUnauthenticatedConnections is < 1 or > 1024)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxUnauthenticatedConnections), MaxUnauthenticatedConnections, "it must be between 1 and 1024");
        }

        if (AuthenticationTimeout < TimeSpan.FromMilliseconds(100) || AuthenticationTimeout > TimeSpan.FromMinutes(1))
        {
            yield return OptionProblem.Describe(SectionName, nameof(AuthenticationTimeout), AuthenticationTimeout, "it must be between 00:00:00.1 and 00:01:00");
        }

        if (ReadTimeout < TimeSpan.FromMilliseconds(100) || ReadTimeout > TimeSpan.FromMinutes(10))
        {
            yield return OptionProblem.Describe(SectionName, nameof(ReadTimeout), ReadTimeout, "it must be between 00:00:00.1 and 00:10:00");
        }

        if (OperationTimeout < TimeSpan.FromSeconds(1) || OperationTimeout > TimeSpan.FromMinutes(10))
        {
            yield return OptionProblem.Describe(SectionName, nameof(OperationTimeout), OperationTimeout, "it must be between 00:00:01 and 00:10:00");
        }
    }
}
