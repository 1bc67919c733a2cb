using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Cluster;

/// <summary>
/// One <c>overlay run</c> process of this build: its own data directory, a loopback listen address
/// with a port the kernel picks, its log copied to <c>daemon.log</c> in the data directory. Read
/// from outside only: log lines, <c>/proc</c>, and the control API.
/// </summary>
internal sealed partial class Daemon : IDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>USER_HZ, the unit of /proc times: 100 on Linux.</summary>
    private const int ClockTicksPerSecond = 100;

    private readonly string _nodeDll;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _gate = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _warnings = [];
    private readonly Queue<string> _lastLines = new();
    private bool _killed;

    private Daemon(int index, string nodeDll, string dataDirectory, Process process, StreamWriter log)
    {
        _nodeDll = nodeDll;
        Index = index;
        DataDirectory = dataDirectory;
        _process = process;
        _log = log;
        StartedAt = Stopwatch.GetTimestamp();
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) =>
        {
            var failure = new InvalidOperationException($"Daemon {index} exited with code {_process.ExitCode} before it was listening and running; its last lines:\n{LastLines()}");
            _listening.TrySetException(failure);
            _running.TrySetException(failure);
        };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The daemon's number in its cluster, from 0 (the bootstrap).</summary>
    public int Index { get; }

    public string DataDirectory { get; }

    /// <summary>The <see cref="Stopwatch"/> timestamp of the start.</summary>
    public long StartedAt { get; }

    /// <summary>Completes with the listen address (PeerId pinned) once the daemon logs it.</summary>
    public Task<string> Listening => _listening.Task;

    /// <summary>Completes once the daemon logs that every component runs.</summary>
    public Task Running => _running.Task;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the "running" line, or 0 before it.</summary>
    public long RunningAt { get; private set; }

    public bool IsAlive => !_killed && !_process.HasExited;

    /// <summary>Warning and error lines logged so far (the first 1,000).</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_gate)
            {
                return [.. _warnings];
            }
        }
    }

    /// <summary>Starts <c>dotnet Overlay.Node.dll run</c> for a fresh data directory, bootstrapping through <paramref name="bootstrap"/> when given.</summary>
    public static Daemon Start(int index, string nodeDll, string dataDirectory, string? bootstrap, IReadOnlyList<string> extraArguments)
    {
        Directory.CreateDirectory(dataDirectory);
        // Every daemon would try the default metrics port and all but the first would log that it is taken: the cluster
        // measures from outside, so its daemons export none (the data directory's configuration layer, under --config).
        var config = Path.Combine(dataDirectory, "node.config.json");
        if (!File.Exists(config))
        {
            File.WriteAllText(config, "{ \"Metrics\": { \"Listen\": \"\" } }\n");
        }

        var info = NodeProcess(nodeDll);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(dataDirectory);
        info.ArgumentList.Add("--listen");
        info.ArgumentList.Add("tcp://127.0.0.1:0");
        if (bootstrap is not null)
        {
            info.ArgumentList.Add("--bootstrap");
            info.ArgumentList.Add(bootstrap);
        }

        foreach (var argument in extraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Only what the command line says: no passphrase or data directory inherited from the caller.
        info.Environment.Remove("OVERLAY_KEY_PASSPHRASE");
        info.Environment.Remove("OVERLAY_DATA_DIR");
        var log = new StreamWriter(Path.Combine(dataDirectory, "daemon.log")) { AutoFlush = false };
        return new Daemon(index, nodeDll, dataDirectory, Process.Start(info)!, log);
    }

    /// <summary>
    /// A process of the node: <c>dotnet NODE.dll</c> for a managed build, the file itself for a native
    /// (NativeAOT) one, which is any path not ending in <c>.dll</c>.
    /// </summary>
    public static ProcessStartInfo NodeProcess(string node)
    {
        if (!node.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return new ProcessStartInfo(node);
        }

        var info = new ProcessStartInfo("dotnet");
        info.ArgumentList.Add(node);
        return info;
    }

    /// <summary>Resident set size in bytes (VmRSS), or 0 once the process is gone.</summary>
    public long ResidentBytes() => StatusField("VmRSS:") * 1024;

    /// <summary>Threads of the process, or 0 once it is gone.</summary>
    public long ThreadCount() => StatusField("Threads:");

    /// <summary>A number from <c>/proc/PID/status</c> (a "kB" unit is dropped), or 0 once the process is gone.</summary>
    private long StatusField(string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    var digits = line.AsSpan(name.Length).Trim().TrimEnd("kB").Trim();
                    return long.Parse(digits, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // Exited between the check and the read.
        }

        return 0;
    }

    /// <summary>User plus system CPU time the process has used.</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Sends one control request (a fresh connection each time, as the CLI does); throws <see cref="ControlClientException"/> on failure.</summary>
    public async Task<JsonObject> ControlAsync(JsonObject request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = await ControlClient.ConnectAsync(DataDirectory, timeout, cancellationToken);
        await using (client)
        {
            return await client.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// Runs one CLI command of the same build against this daemon's data directory, as a user would
    /// (<c>dotnet Overlay.Node.dll ARGS --data-dir DIR</c>), and returns its exit code.
    /// </summary>
    public async Task<int> RunCliAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = NodeProcess(_nodeDll);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(DataDirectory);
        // As ./overlay runs every command but 'run': with tiered compilation, which the daemon's runtime settings turn off.
        info.Environment["DOTNET_TieredCompilation"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await Task.WhenAll(output, error);
        return process.ExitCode;
    }

    /// <summary>User plus system CPU of this process's children that have exited and been waited for (<c>/proc/self/stat</c> cutime + cstime).</summary>
    public static TimeSpan ReapedChildrenCpu()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        // Fields after the command name (which may hold spaces) start at the last ')'; cutime and cstime are fields 16 and 17.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>Kills the process at once, as a crash would (SIGKILL).</summary>
    public void Kill()
    {
        _killed = true;
        Signal(SigKill);
    }

    /// <summary>Asks the daemon to stop (SIGTERM); true when it exited with 0 within <paramref name="timeout"/>.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return !_killed && _process.ExitCode == 0;
        }

        Signal(SigTerm);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return !_killed && _process.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.WaitForExit();
        _process.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }
    }

    private string LastLines()
    {
        // The exit can be seen before the last lines are read: give the readers a moment.
        _process.WaitForExit(2000);
        lock (_gate)
        {
            return string.Join('\n', _lastLines);
        }
    }

    private void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, signal);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _log.WriteLine(line);
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 20)
            {
                _lastLines.Dequeue();
            }

            if ((line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal))
                && _warnings.Count < 1000)
            {
                _warnings.Add(line);
            }
        }

        const string listening = "Listening on ";
        var at = line.IndexOf(listening, StringComparison.Ordinal);
        if (at >= 0)
        {
            _listening.TrySetResult(line[(at + listening.Length)..].Trim());
        }
        else if (line.EndsWith(" running", StringComparison.Ordinal) && line.Contains("Node ", StringComparison.Ordinal))
        {
            RunningAt = Stopwatch.GetTimestamp();
            _running.TrySetResult();
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
