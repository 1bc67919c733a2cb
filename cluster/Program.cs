using System.Globalization;
using Overlay.Cluster;

// dotnet artifacts/bin/Cluster/release/Overlay.Cluster.dll run [--nodes 50] ...   (see Usage)
const string Usage = """
    usage: Overlay.Cluster run [--nodes 50] [--min-contacts 8] [--formation-timeout 300] [--idle 30] [--puts 200]
                               [--value-bytes 100] [--kill 0.2] [--seed 1] [--root DIR] [--node-dll PATH] [-- DAEMON-ARGS...]
      Starts N daemons of this build on 127.0.0.1 (each its own data directory and port; all bootstrap
      through the first), waits until every routing table holds --min-contacts contacts, measures idle
      CPU for --idle seconds, puts --puts values through the control API and reads each back through
      another daemon, kills the --kill share (SIGKILL) and reads them again, then stops the rest.
      --node-dll runs another build's daemon. Exit code 0 when the network formed, 1 when it did not.
    usage: Overlay.Cluster flood [--sockets 18000] [--sources 1200] [--hold 30] [--after 60] [--node-dll PATH]
      Starts one daemon and keeps --sockets silent connections open to its P2P port from --sources
      loopback addresses (1: from 127.0.0.1 itself) for --hold seconds, reopening each one it closes,
      while 'overlay ping' is tried from 127.0.0.1; prints its resident memory before, during and
      --after seconds after the flood.
    """;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

if (args.Length > 0 && args[0] == "flood")
{
    return await FloodAsync(args[1..], stop.Token);
}

if (args.Length == 0 || args[0] != "run")
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var options = new ClusterOptions();
for (var i = 1; i < args.Length; i++)
{
    if (args[i] == "--")
    {
        options = options with { DaemonArguments = args[(i + 1)..] };
        break;
    }

    var value = i + 1 < args.Length ? args[i + 1] : null;
    var number = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : double.NaN;
    ClusterOptions? next = args[i] switch
    {
        "--nodes" when number >= 0 => options with { Nodes = (int)number },
        "--min-contacts" when number >= 0 => options with { MinContacts = (int)number },
        "--formation-timeout" when number >= 0 => options with { FormationTimeout = TimeSpan.FromSeconds(number) },
        "--idle" when number >= 0 => options with { IdleWindow = TimeSpan.FromSeconds(number) },
        "--puts" when number >= 0 => options with { Puts = (int)number },
        "--value-bytes" when number >= 0 => options with { ValueBytes = (int)number },
        "--kill" when number >= 0 => options with { KillFraction = number },
        "--seed" when number >= 0 => options with { Seed = (int)number },
        "--root" when value is not null => options with { Root = Path.GetFullPath(value) },
        "--node-dll" when value is not null => options with { NodeDll = Path.GetFullPath(value) },
        _ => null,
    };
    if (next is null)
    {
        Console.Error.WriteLine($"The argument '{args[i]}' with value '{value}' is not understood.\n{Usage}");
        return 2;
    }

    options = next;
    i++;
}

var problems = options.Validate();
if (problems.Count > 0)
{
    Console.Error.WriteLine(string.Join('\n', problems));
    return 2;
}

var report = await new ClusterRunner(options, Console.Out).RunAsync(stop.Token);
report.WriteTo(Console.Out);
return report.Formed ? 0 : 1;

static async Task<int> FloodAsync(string[] args, CancellationToken cancellationToken)
{
    var options = new FloodOptions();
    for (var i = 0; i < args.Length; i += 2)
    {
        var value = i + 1 < args.Length ? args[i + 1] : null;
        var number = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : double.NaN;
        FloodOptions? next = args[i] switch
        {
            "--sockets" when number >= 0 => options with { Sockets = (int)number },
            "--sources" when number >= 0 => options with { Sources = (int)number },
            "--hold" when number >= 0 => options with { Hold = TimeSpan.FromSeconds(number) },
            "--after" when number >= 0 => options with { After = TimeSpan.FromSeconds(number) },
            "--node-dll" when value is not null => options with { NodeDll = Path.GetFullPath(value) },
            _ => null,
        };
        if (next is null)
        {
            Console.Error.WriteLine($"The argument '{args[i]}' with value '{value}' is not understood.\n{Usage}");
            return 2;
        }

        options = next;
    }

    var problems = options.Validate();
    if (problems.Count > 0)
    {
        Console.Error.WriteLine(string.Join('\n', problems));
        return 2;
    }

    return await new FloodProbe(options, Console.Out).RunAsync(cancellationToken);
}
