namespace Overlay.Cluster;

/// <summary>What one flood probe does.</summary>
public sealed record FloodOptions
{
    /// <summary>Silent connections kept open at once (each reopened when the daemon closes it).</summary>
    public int Sockets { get; init; } = 18_000;

    /// <summary>Loopback source addresses they come from (127.1.x.y); 1 means 127.0.0.1 itself.</summary>
    public int Sources { get; init; } = 1_200;

    /// <summary>How long the flood lasts.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Quiet time after start before the first reading.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long memory is watched after the flood.</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The daemon program (another build can be measured by naming its Overlay.Node.dll).</summary>
    public string NodeDll { get; init; } = ClusterRunner.NodeDll;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Sockets < 1 || Sources < 1 || Sources > 65_000)
        {
            problems.Add($"--sockets is {Sockets} and --sources {Sources}; sockets must be 1 or more and sources 1 to 65000.");
        }

        if (!File.Exists(NodeDll))
        {
            problems.Add($"--node-dll '{NodeDll}' does not exist.");
        }

        return problems;
    }
}
