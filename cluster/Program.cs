using System.Globalization;
using Overlay.Cluster;

// dotnet artifacts/bin/Cluster/release/Overlay.Cluster.dll run [--nodes 50] ...   (see Usage)
const string Usage = """
    usage: Overlay.Cluster run [--nodes 50] [--min-contacts 8] [--formation-timeout 300] [--settle 60] [--idle 30]
                               [--lone 10] [--puts 200] [--value-bytes 100] [--cli-gets 20] [--kill 0.2] [--seed 1] [--root DIR] [--node-dll PATH] [-- DAEMON-ARGS...]
      Starts N daemons of this build on 127.0.0.1 (each its own data directory and port; all bootstrap
      through the first, which first runs --lone seconds alone), waits until every routing table holds
      --min-contacts contacts, leaves the network alone for --settle seconds and measures idle CPU for
      --idle seconds, puts --puts values through the control API and reads each back through another
      daemon, times --cli-gets whole 'overlay get' processes, kills the --kill share (SIGKILL) and reads
      the values again, then stops the rest.
      --node-dll runs another build's daemon (a path not ending in .dll is run as a native executable). Exit code 0 when the network formed, 1 when it did not.
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

// Everything after "--" goes to every daemon's command line.
var separator = Array.IndexOf(args, "--");
var own = separator >= 0 ? args[..separator] : args;
string[] daemonArguments = separator >= 0 ? args[(separator + 1)..] : [];
switch (own.Length > 0 ? own[0] : string.Empty)
{
    case "run":
        if (!TryParse(own, new ClusterOptions { DaemonArguments = daemonArguments }, ApplyRun, o => o.Validate(), out var run))
        {
            return 2;
        }

        var report = await new ClusterRunner(run, Console.Out).RunAsync(stop.Token);
        report.WriteTo(Console.Out);
        return report.Formed ? 0 : 1;
    case "flood":
        if (!TryParse(own, new FloodOptions(), ApplyFlood, o => o.Validate(), out var flood))
        {
            return 2;
        }

        return await new FloodProbe(flood, Console.Out).RunAsync(stop.Token);
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

static ClusterOptions? ApplyRun(ClusterOptions o, string name, string value, double number) => name switch
{
    "--nodes" when number >= 0 => o with { Nodes = (int)number },
    "--min-contacts" when number >= 0 => o with { MinContacts = (int)number },
    "--formation-timeout" when number >= 0 => o with { FormationTimeout = TimeSpan.FromSeconds(number) },
    "--settle" when number >= 0 => o with { Settle = TimeSpan.FromSeconds(number) },
    "--idle" when number >= 0 => o with { IdleWindow = TimeSpan.FromSeconds(number) },
    "--lone" when number >= 0 => o with { Lone = TimeSpan.FromSeconds(number) },
    "--cli-gets" when number >= 0 => o with { CliGets = (int)number },
    "--puts" when number >= 0 => o with { Puts = (int)number },
    "--value-bytes" when number >= 0 => o with { ValueBytes = (int)number },
    "--kill" when number >= 0 => o with { KillFraction = number },
    "--seed" when number >= 0 => o with { Seed = (int)number },
    "--root" => o with { Root = Path.GetFullPath(value) },
    "--node-dll" => o with { NodeDll = Path.GetFullPath(value) },
    _ => null,
};

static FloodOptions? ApplyFlood(FloodOptions o, string name, string value, double number) => name switch
{
    "--sockets" when number >= 0 => o with { Sockets = (int)number },
    "--sources" when number >= 0 => o with { Sources = (int)number },
    "--hold" when number >= 0 => o with { Hold = TimeSpan.FromSeconds(number) },
    "--after" when number >= 0 => o with { After = TimeSpan.FromSeconds(number) },
    "--node-dll" => o with { NodeDll = Path.GetFullPath(value) },
    _ => null,
};

// "--name value" pairs after the command word, each applied in turn; then the options' own checks.
static bool TryParse<T>(string[] args, T options, Func<T, string, string, double, T?> apply, Func<T, IReadOnlyList<string>> validate, out T parsed)
    where T : class
{
    parsed = options;
    for (var i = 1; i < args.Length; i += 2)
    {
        var value = i + 1 < args.Length ? args[i + 1] : null;
        var number = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN;
        if (value is null || apply(parsed, args[i], value, number) is not { } next)
        {
            Console.Error.WriteLine($"The argument '{args[i]}' with value '{value}' is not understood.\n{Usage}");
            return false;
        }

        parsed = next;
    }

    var problems = validate(parsed);
    if (problems.Count > 0)
    {
        Console.Error.WriteLine(string.Join('\n', problems));
        return false;
    }

    return true;
}
