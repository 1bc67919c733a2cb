using System.Diagnostics;
using System.Text;

namespace Overlay.Integration.Tests;

/// <summary>Runs the built <c>overlay</c> program as a child process and captures its output.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private TaskCompletionSource<string>? _waitingFor;
    private string? _expected;

    private NodeProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>
    /// The program under test: this build's Overlay.Node.dll (run with dotnet), or the file named by
    /// <c>OVERLAY_NODE</c>, e.g. the native executable <c>./overlay</c> publishes, which then runs as it is,
    /// so the same tests check that build (docs/BENCHMARKS.md, "NativeAOT").
    /// </summary>
    public static string NodeDll => Environment.GetEnvironmentVariable("OVERLAY_NODE") is { Length: > 0 } node
        ? Path.GetFullPath(node)
        : Path.Combine(AppContext.BaseDirectory, "Overlay.Node.dll");

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static NodeProcess Start(params string[] args) => Start(environment: null, args);

    /// <summary>The address in a "Listening on ADDRESS" line.</summary>
    public static string ListenAddressIn(string line) => line[(line.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();

    /// <summary>A loopback TCP port free at the moment of asking.</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts the program with <paramref name="environment"/> set on top of this process's (a null value removes a variable).</summary>
    public static NodeProcess Start(IReadOnlyDictionary<string, string?>? environment, params string[] args) => StartAs(null, NodeDll, environment, args);

    /// <summary>Runs a command as <paramref name="user"/> (see <see cref="OtherUser"/>) to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsAsync(string user, TimeSpan timeout, params string[] args)
    {
        using var node = StartAs(user, NodeDll, null, args);
        var code = await node.WaitForExitAsync(timeout);
        return (code, node.Output);
    }

    /// <summary>
    /// Starts <paramref name="dll"/> with dotnet (a path not ending in .dll: as it is, a native build), as
    /// <paramref name="user"/> through runuser when one is named.
    /// </summary>
    public static NodeProcess StartAs(string? user, string dll, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var native = !dll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(user is null ? "env" : "runuser") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (user is null)
        {
            // A test run started in the background (a shell without job control: CI, '&') inherits SIGINT and
            // SIGQUIT ignored, and so would the daemon; env resets them and execs dotnet in the same process, so
            // the daemon meets Ctrl+C as it does in a terminal.
            info.ArgumentList.Add("--default-signal=INT,QUIT");
            if (!native)
            {
                info.ArgumentList.Add("dotnet");
            }
        }
        else
        {
            // From a directory every user may enter: the test's own may be private.
            info.WorkingDirectory = "/";
            foreach (var arg in native ? ["-u", user, "--"] : new[] { "-u", user, "--", "dotnet" })
            {
                info.ArgumentList.Add(arg);
            }
        }

        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("OVERLAY_KEY_PASSPHRASE");
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }
        }

        return new NodeProcess(Process.Start(info)!);
    }

    /// <summary>Runs a command to completion (bounded by <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args) => RunAsync(timeout, environment: null, args);

    /// <summary>As <see cref="RunAsync(TimeSpan, string[])"/>, with <paramref name="environment"/> set for the command.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var node = Start(environment, args);
        var code = await node.WaitForExitAsync(timeout);
        return (code, node.Output);
    }

    /// <summary>
    /// The first output line containing <paramref name="fragment"/>; fails at once, with the output, when the
    /// program exits without writing it (a taken port, a bad config), rather than waiting out the timeout, and
    /// with the output too when the timeout passes (a <see cref="TimeoutException"/>).
    /// </summary>
    public async Task<string> WaitForLineAsync(string fragment, TimeSpan timeout)
    {
        Task<string> line;
        lock (_gate)
        {
            if (FindLine(fragment) is { } found)
            {
                return found;
            }

            _expected = fragment;
            _waitingFor = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            line = _waitingFor.Task;
        }

        Task first;
        try
        {
            first = await Task.WhenAny(line, _process.WaitForExitAsync()).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // The output says how far the program got: a flaky wait is diagnosable from the test's log alone.
            throw new TimeoutException($"The program did not write \"{fragment}\" within {timeout}. Its output so far:\n{Output}");
        }

        if (first == line)
        {
            return await line;
        }

        _process.WaitForExit(); // Drains the asynchronous output readers.
        lock (_gate)
        {
            return FindLine(fragment) ?? throw new InvalidOperationException(
                $"The program exited with code {_process.ExitCode} before writing \"{fragment}\":\n{_output}");
        }
    }

    private string? FindLine(string fragment)
    {
        foreach (var line in _output.ToString().Split('\n'))
        {
            if (line.Contains(fragment, StringComparison.Ordinal))
            {
                return line;
            }
        }

        return null;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // Drains the asynchronous output readers.
        return _process.ExitCode;
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            var exited = _process.HasExited ? $" The process had already exited with code {_process.ExitCode}." : string.Empty;
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed.{exited} Its output:\n{Output}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
            if (_waitingFor is not null && _expected is not null && line.Contains(_expected, StringComparison.Ordinal))
            {
                _waitingFor.TrySetResult(line);
                _waitingFor = null;
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
#pragma warning disable CA5392, SYSLIB1054
    private static extern int kill(int pid, int sig);
#pragma warning restore CA5392, SYSLIB1054
}
