namespace Overlay.Cluster;

/// <summary>What one cluster run does; every figure it prints follows from these and the daemons' default config.</summary>
public sealed record ClusterOptions
{
    /// <summary>Daemons started, the first being everyone's bootstrap peer (2 and up).</summary>
    public int Nodes { get; init; } = 50;

    /// <summary>A node has joined once its routing table holds this many contacts.</summary>
    public int MinContacts { get; init; } = 8;

    /// <summary>Longest wait, from the first start, for every node to reach <see cref="MinContacts"/>.</summary>
    public TimeSpan FormationTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the network is left alone after formation before idle CPU is watched.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long CPU use is watched once the network formed and settled (0: not measured).</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the bootstrap daemon runs alone before the others start; its CPU and memory then are the lone figures.</summary>
    public TimeSpan Lone { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whole <c>overlay get</c> processes (start, request, exit) timed one after another once the values are in (0: none).</summary>
    public int CliGets { get; init; } = 20;

    /// <summary>Values put (each through another daemon), then read back through yet another.</summary>
    public int Puts { get; init; } = 200;

    /// <summary>Bytes per value.</summary>
    public int ValueBytes { get; init; } = 100;

    /// <summary>Share of the daemons killed (SIGKILL) before the values are read again, 0–0.9.</summary>
    public double KillFraction { get; init; } = 0.2;

    /// <summary>Seeds which daemons serve each operation and which are killed.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Where the data directories go; a fresh temporary directory (removed afterwards) when null.</summary>
    public string? Root { get; init; }

    /// <summary>The daemon program: this build's by default; another build's Overlay.Node.dll to compare.</summary>
    public string NodeDll { get; init; } = ClusterRunner.NodeDll;

    /// <summary>Arguments added to every daemon's command line (e.g. <c>--config FILE</c>).</summary>
    public IReadOnlyList<string> DaemonArguments { get; init; } = [];

    /// <summary>Checks the values; one sentence per problem.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Nodes < 2)
        {
            problems.Add($"--nodes is {Nodes}; a cluster needs at least 2 daemons.");
        }

        if (MinContacts < 1 || MinContacts > Nodes - 1)
        {
            problems.Add($"--min-contacts is {MinContacts}; allowed is 1 to nodes - 1 ({Nodes - 1}).");
        }

        if (Puts < 0 || ValueBytes < 1)
        {
            problems.Add($"--puts is {Puts} and --value-bytes {ValueBytes}; puts must be 0 or more and values at least 1 byte.");
        }

        if (CliGets < 0)
        {
            problems.Add($"--cli-gets is {CliGets}; it must be 0 or more.");
        }

        if (KillFraction is < 0 or > 0.9)
        {
            problems.Add($"--kill is {KillFraction}; allowed is 0 to 0.9.");
        }

        if (!File.Exists(NodeDll))
        {
            problems.Add($"--node-dll '{NodeDll}' does not exist.");
        }

        return problems;
    }
}
