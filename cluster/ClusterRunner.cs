using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Cluster;

/// <summary>
/// Runs a network of real daemons on loopback and measures it from outside: starts them (all
/// bootstrapping through the first), waits until every routing table holds enough contacts (read
/// with the control API's <c>peers</c>), watches idle CPU, puts values through the control API and
/// reads each back through another daemon, kills a share of the daemons and reads again, then stops
/// the rest with SIGTERM. Wall-clock waits are the point here: this is a measurement of processes.
/// </summary>
public sealed class ClusterRunner
{
    private static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly ClusterOptions _options;
    private readonly TextWriter _progress;
    private readonly Random _random;

    public ClusterRunner(ClusterOptions options, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _progress = progress;
        _random = new Random(options.Seed);
    }

    /// <summary>The daemon program: this build's Overlay.Node.dll beside the running assembly.</summary>
    public static string NodeDll => Path.Combine(AppContext.BaseDirectory, "Overlay.Node.dll");

    public async Task<ClusterReport> RunAsync(CancellationToken cancellationToken)
    {
        var root = _options.Root ?? Directory.CreateTempSubdirectory("overlay-cluster").FullName;
        var daemons = new List<Daemon>();
        var report = new ClusterReport { Nodes = _options.Nodes, MinContacts = _options.MinContacts };
        try
        {
            var first = Stopwatch.GetTimestamp();
            await StartAsync(root, daemons, report, cancellationToken);
            report.StartSpan = Stopwatch.GetElapsedTime(first, daemons.Max(d => d.RunningAt));
            await WaitForFormationAsync(daemons, first, report, cancellationToken);
            report.StartCpu = [.. daemons.Select(d => d.CpuTime())];
            report.ResidentBytesFormed = [.. daemons.Select(d => d.ResidentBytes())];
            _progress.WriteLine(report.Formed ? "formed; settling" : "not formed; going on");
            if (_options.IdleWindow > TimeSpan.Zero)
            {
                await Task.Delay(_options.Settle, cancellationToken);
                _progress.WriteLine("idle window");
                report.Settle = _options.Settle;
                await MeasureIdleAsync(daemons, report, cancellationToken);
                report.ResidentBytesIdle = [.. daemons.Select(d => d.ResidentBytes())];
            }

            if (_options.Puts > 0)
            {
                _progress.WriteLine("putting");
                report.ConnectionsBeforePuts = await ConnectionCountsAsync(daemons, cancellationToken);
                var keys = await PutAsync(daemons, report, cancellationToken);
                report.ConnectionsAfterPuts = await ConnectionCountsAsync(daemons, cancellationToken);
                await GetAsync(daemons, keys, report.Gets, cancellationToken);
                report.ResidentBytesAfterOperations = [.. daemons.Select(d => d.ResidentBytes())];
                if (_options.CliGets > 0 && keys.Count > 0)
                {
                    await CliGetsAsync(daemons, keys, report, cancellationToken);
                }

                var killed = Kill(daemons);
                report.Killed = killed;
                if (killed > 0)
                {
                    await GetAsync(daemons, keys, report.GetsAfterKill, cancellationToken);
                }
            }

            var survivors = daemons.Where(d => d.IsAlive).ToList();
            report.Survivors = survivors.Count;
            var stops = await Task.WhenAll(survivors.Select(d => d.StopAsync(TimeSpan.FromSeconds(15))));
            report.StoppedCleanly = stops.Count(s => s);
            report.Warnings = ClusterReport.GroupWarnings(daemons.SelectMany(d => d.Warnings));
            return report;
        }
        finally
        {
            foreach (var d in daemons)
            {
                d.Dispose();
            }

            if (_options.Root is null)
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private async Task StartAsync(string root, List<Daemon> daemons, ClusterReport report, CancellationToken cancellationToken)
    {
        var bootstrap = Daemon.Start(0, _options.NodeDll, Path.Combine(root, "node-0"), bootstrap: null, _options.DaemonArguments);
        daemons.Add(bootstrap);
        var address = await bootstrap.Listening.WaitAsync(StartTimeout, cancellationToken);
        await bootstrap.Running.WaitAsync(StartTimeout, cancellationToken);
        _progress.WriteLine($"bootstrap daemon listening on {address}");
        if (_options.Lone > TimeSpan.Zero)
        {
            // The lone figures: what one daemon costs to start and then holds with nobody to talk to.
            await Task.Delay(_options.Lone, cancellationToken);
            report.LoneCpu = bootstrap.CpuTime();
            report.LoneResidentBytes = bootstrap.ResidentBytes();
            report.LoneThreads = bootstrap.ThreadCount();
        }

        for (var i = 1; i < _options.Nodes; i++)
        {
            daemons.Add(Daemon.Start(i, _options.NodeDll, Path.Combine(root, $"node-{i}"), address, _options.DaemonArguments));
        }

        await Task.WhenAll(daemons.Select(d => d.Running)).WaitAsync(StartTimeout, cancellationToken);
        _progress.WriteLine($"{daemons.Count} daemons running");
    }

    private async Task WaitForFormationAsync(List<Daemon> daemons, long first, ClusterReport report, CancellationToken cancellationToken)
    {
        var contacts = new int[daemons.Count];
        var lastRunning = daemons.Max(d => d.RunningAt);
        var lastPrinted = -1;
        while (true)
        {
            await Task.WhenAll(daemons.Select(async d => contacts[d.Index] = await ContactCountAsync(d, cancellationToken)));
            var below = contacts.Count(c => c < _options.MinContacts);
            report.Contacts = [.. contacts];
            if (below == 0)
            {
                report.Formed = true;
                report.FormationFromFirstStart = Stopwatch.GetElapsedTime(first);
                report.FormationFromLastRunning = Stopwatch.GetElapsedTime(lastRunning);
                return;
            }

            var elapsed = Stopwatch.GetElapsedTime(first);
            if (elapsed > _options.FormationTimeout)
            {
                return;
            }

            if (below != lastPrinted)
            {
                _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0} s: {below} of {daemons.Count} nodes below {_options.MinContacts} contacts"));
                lastPrinted = below;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private static async Task<int> ContactCountAsync(Daemon daemon, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await daemon.ControlAsync(new JsonObject { ["command"] = "peers" }, ControlTimeout, cancellationToken);
            return reply["peers"] is JsonArray peers ? peers.Count : 0;
        }
        catch (ControlClientException)
        {
            // Still starting its control API, or busy: counts as not joined this round.
            return 0;
        }
    }

    /// <summary>Connections each daemon's pool holds (its <c>status</c>), after the CPU of a put phase was read; 0 for a daemon that did not answer.</summary>
    private static async Task<int[]> ConnectionCountsAsync(List<Daemon> daemons, CancellationToken cancellationToken)
    {
        var counts = new int[daemons.Count];
        await Task.WhenAll(daemons.Select(async d =>
        {
            try
            {
                var reply = await d.ControlAsync(new JsonObject { ["command"] = "status" }, ControlTimeout, cancellationToken);
                counts[d.Index] = reply["connections"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;
            }
            catch (ControlClientException)
            {
                // Busy or gone: counted as none.
            }
        }));
        return counts;
    }

    private async Task MeasureIdleAsync(List<Daemon> daemons, ClusterReport report, CancellationToken cancellationToken)
    {
        var before = daemons.Select(d => d.CpuTime()).ToArray();
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(_options.IdleWindow, cancellationToken);
        var wall = Stopwatch.GetElapsedTime(started);
        report.IdleWindow = wall;
        report.IdleCpuPercent = [.. daemons.Select(d => 100 * (d.CpuTime() - before[d.Index]).TotalSeconds / wall.TotalSeconds)];
    }

    private async Task<List<(string Key, byte[] Value)>> PutAsync(List<Daemon> daemons, ClusterReport report, CancellationToken cancellationToken)
    {
        var keys = new List<(string Key, byte[] Value)>();
        var cpuBefore = TotalCpu(daemons);
        for (var i = 0; i < _options.Puts; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"cluster-{_options.Seed}-{i}");
            var value = new byte[_options.ValueBytes];
            _random.NextBytes(value);
            var daemon = daemons[i % daemons.Count];
            var request = new JsonObject { ["command"] = "put", ["key"] = key, ["value"] = Convert.ToBase64String(value) };
            var (reply, latencyMs, failure) = await TimedAsync(daemon, request, cancellationToken);
            var stored = reply?["storedOn"] is JsonValue s && s.TryGetValue<int>(out var n) ? n : 0;
            if (failure is null && stored == 0)
            {
                failure = "stored on no peer";
            }

            report.Puts.Add(latencyMs, failure);
            if (failure is null)
            {
                report.StoredOn.Add(stored);
                keys.Add((key, value));
            }
        }

        report.NetworkCpuPerPut = _options.Puts == 0 ? TimeSpan.Zero : (TotalCpu(daemons) - cpuBefore) / _options.Puts;
        return keys;
    }

    private async Task GetAsync(List<Daemon> daemons, List<(string Key, byte[] Value)> keys, OperationFigures figures, CancellationToken cancellationToken)
    {
        var alive = daemons.Where(d => d.IsAlive).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            // Read through another daemon than the one that put it (puts went round-robin).
            var daemon = alive[(i + 1 + (alive.Count / 2)) % alive.Count];
            var (key, value) = keys[i];
            var (reply, latencyMs, failure) = await TimedAsync(daemon, new JsonObject { ["command"] = "get", ["key"] = key }, cancellationToken);
            if (failure is null && (reply?["value"] is not JsonValue v || !v.TryGetValue<string>(out var text) || text != Convert.ToBase64String(value)))
            {
                failure = "a different value came back";
            }

            figures.Add(latencyMs, failure);
        }
    }

    /// <summary>
    /// Runs <c>dotnet Overlay.Node.dll get KEY</c> one after another against the daemons, as a user would:
    /// wall time of each whole process, and their CPU from this process's reaped-children counters.
    /// </summary>
    private async Task CliGetsAsync(List<Daemon> daemons, List<(string Key, byte[] Value)> keys, ClusterReport report, CancellationToken cancellationToken)
    {
        var cpuBefore = Daemon.ReapedChildrenCpu();
        for (var i = 0; i < _options.CliGets; i++)
        {
            var (key, value) = keys[i % keys.Count];
            var daemon = daemons[(i + 1) % daemons.Count];
            var started = Stopwatch.GetTimestamp();
            var saved = Path.Combine(daemon.DataDirectory, "cli-get.out");
            var exitCode = await daemon.RunCliAsync(["get", key, "--output", saved], cancellationToken);
            var failure = exitCode != 0 ? $"exit code {exitCode}"
                : !File.ReadAllBytes(saved).AsSpan().SequenceEqual(value) ? "a different value came back" : null;
            report.CliGets.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds, failure);
        }

        report.CliCpuPerGet = (Daemon.ReapedChildrenCpu() - cpuBefore) / _options.CliGets;
    }

    private static async Task<(JsonObject? Reply, double LatencyMs, string? Failure)> TimedAsync(Daemon daemon, JsonObject request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = await daemon.ControlAsync(request, ControlTimeout, cancellationToken);
            return (reply, Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
        }
        catch (ControlClientException e)
        {
            return (null, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
        }
    }

    private int Kill(List<Daemon> daemons)
    {
        var count = (int)Math.Floor(daemons.Count * _options.KillFraction);
        var order = Enumerable.Range(0, daemons.Count).ToArray();
        _random.Shuffle(order);
        foreach (var i in order.Take(count))
        {
            daemons[i].Kill();
        }

        return count;
    }

    private static TimeSpan TotalCpu(List<Daemon> daemons)
    {
        var total = TimeSpan.Zero;
        foreach (var d in daemons)
        {
            total += d.CpuTime();
        }

        return total;
    }
}
