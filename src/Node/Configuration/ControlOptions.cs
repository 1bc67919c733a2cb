namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>Control</c> section: the local control API that <c>overlay put</c>, <c>get</c> and <c>peers</c>
/// talk to (docs/PROTOCOL.md, "Control API"). It listens on loopback only and requires the token the
/// daemon writes to <c>control.token</c> in the data directory at every start.
/// </summary>
public sealed class ControlOptions
{
    public const string SectionName = "Control";

    /// <summary>Whether the daemon serves the control API. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// TCP port on 127.0.0.1; 0 (the default) picks a free port, so several nodes on one host never
    /// collide. The port in use is written to <c>control.endpoint</c> in the data directory. 0 to 65535.
    /// </summary>
    public int Port { get; set; }

    /// <summary>Control connections served at once; more are refused with a Busy error (1 to 1024, default 16).</summary>
    public int MaxConnections { get; set; } = 16;

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
