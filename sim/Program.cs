using System.Globalization;
using Overlay.Dht.Coordinates;
using Overlay.Sim;
using Overlay.Transport;

// overlay-sim dht|node --nodes N --lookups L --keys K --seed S --latency PATH
// dht: bare DHT participants; node: whole nodes built by the daemon's composition root, every service running.
// overlay-sim adversary [...] --latency PATH
if (args.Length > 0 && args[0] == "adversary")
{
    return Overlay.Sim.Adversary.AdversaryCommand.Run(args, Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "repair")
{
    return RepairCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "trust-exchange")
{
    return Overlay.Sim.Trust.TrustExchangeCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "churn")
{
    return Overlay.Sim.Churn.ChurnCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "files")
{
    return Overlay.Sim.Files.FilesCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "trust")
{
    return Overlay.Sim.Trust.TrustCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length == 0 || (args[0] != "dht" && args[0] != "node"))
{
    Console.Error.WriteLine(Overlay.Sim.Adversary.AdversaryCommand.Usage);
    Console.Error.WriteLine(Overlay.Sim.Trust.TrustCommand.Usage);
    Console.Error.WriteLine(Overlay.Sim.Trust.TrustExchangeCommand.Usage);
    Console.Error.WriteLine(RepairCommand.Usage);
    Console.Error.WriteLine(Overlay.Sim.Churn.ChurnCommand.Usage);
    Console.Error.WriteLine(Overlay.Sim.Files.FilesCommand.Usage);
    Console.Error.WriteLine("usage: Overlay.Sim dht|node [--nodes 1000] [--lookups 10000] [--keys 100] [--seed 1] --latency PATH (RTT matrix in ms, e.g. shared/testdata/latency/PlanetLabData_1) [--memory-breakdown] [--progress] [--no-latency-preference] [--silent-failures] [--keep-alive-seconds N (the transport's keep-alive interval; 10 by default)] [--option NAME=VALUE (a DhtOptions property, e.g. HedgeFactor=0)]... [--transport-option NAME=VALUE (a TransportOptions property, e.g. PoolHighWatermark=128)]... [--placement-option NAME=VALUE (a PlacementOptions property of every whole node, e.g. MaxTrustRecords=32)]...");
    return 2;
}

var nodes = 1000;
var lookups = 10_000;
var keys = 100;
var seed = 1;
string? latency = null;
var breakdown = false;
var progress = false;
var prefer = true;
var silentFailures = false;
TimeSpan? keepAlive = null;
var settings = new List<string>();
var transportSettings = new List<string>();
var placementSettings = new List<string>();
for (var i = 1; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--nodes" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 2:
            nodes = n;
            break;
        case "--lookups" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1:
            lookups = n;
            break;
        case "--keys" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1:
            keys = n;
            break;
        case "--seed" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
            seed = n;
            break;
        case "--memory-breakdown":
            breakdown = true;
            continue;
        case "--progress":
            progress = true;
            continue;
        case "--no-latency-preference":
            prefer = false;
            continue;
        case "--silent-failures":
            silentFailures = true;
            continue;
        case "--option" when value is not null && value.Contains('=', StringComparison.Ordinal):
            settings.Add(value);
            break;
        case "--transport-option" when value is not null && value.Contains('=', StringComparison.Ordinal):
            transportSettings.Add(value);
            break;
        case "--placement-option" when value is not null && value.Contains('=', StringComparison.Ordinal):
            placementSettings.Add(value);
            break;
        case "--keep-alive-seconds" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= 3600:
            keepAlive = TimeSpan.FromSeconds(n);
            break;
        case "--latency" when value is not null:
            latency = value;
            break;
        default:
            Console.Error.WriteLine($"The argument '{args[i]}' (value '{value}') is not understood; --nodes ≥ 2, --lookups ≥ 1, --keys ≥ 1, --seed ≥ 0 and --latency PATH are allowed.");
            return 2;
    }

    i++;
}

if (latency is null || !File.Exists(latency))
{
    Console.Error.WriteLine($"The latency matrix '{latency}' does not exist; pass --latency PATH to an RTT matrix in milliseconds.");
    return 2;
}

if (!LatencyMatrix.TryParse(File.ReadAllText(latency), 1.0, out var matrix, out var error))
{
    Console.Error.WriteLine($"The latency matrix '{latency}' was refused: {error}");
    return 2;
}

var options = DhtNetworkRun.DefaultOptions(prefer);

// A longer keep-alive interval makes kept connections cheaper to simulate; lookup times do not depend on it.
var transportOptions = keepAlive is { } interval ? new TransportOptions { KeepAliveInterval = interval } : new TransportOptions();
var placementOptions = new Overlay.Placement.PlacementOptions();
if (!SimOptions.TryApply(options, settings, options.Validate, out var problem) || !SimOptions.TryApply(transportOptions, transportSettings, transportOptions.Validate, out problem)
    || !SimOptions.TryApply(placementOptions, placementSettings, placementOptions.Validate, out problem))
{
    Console.Error.WriteLine(problem);
    return 2;
}

return new DhtNetworkRun(nodes, lookups, keys, seed, matrix!, Console.Out, options, breakdown, progress, silentFailures, wholeNodes: args[0] == "node", transportOptions, placementSettings.Count > 0 ? placementOptions : null).Run();
