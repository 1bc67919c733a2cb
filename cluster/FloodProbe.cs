using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Cluster;

/// <summary>
/// Floods one real daemon's P2P port with connections that never speak, from many loopback source
/// addresses (127.1.x.y; the whole 127/8 reaches the host), reopening each one the daemon closes,
/// and reads the daemon's resident memory before, during and after, while <c>overlay ping</c> is
/// tried from 127.0.0.1 all along. With one source the flood comes from 127.0.0.1 itself, the address
/// the pings come from.
/// </summary>
public sealed class FloodProbe
{
    private const int ConnectsInFlight = 256;

    private readonly FloodOptions _options;
    private readonly TextWriter _output;

    public FloodProbe(FloodOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        _options = options;
        _output = output;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("overlay-flood").FullName;
        try
        {
            using var daemon = Daemon.Start(0, _options.NodeDll, Path.Combine(root, "node"), bootstrap: null, []);
            var address = await daemon.Listening.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            await daemon.Running.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            await Task.Delay(_options.Settle, cancellationToken);
            var before = daemon.ResidentBytes();
            var cpuBefore = daemon.CpuTime();
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"daemon {address}: rss before {Mb(before)}, {daemon.ThreadCount()} threads; flooding with {_options.Sockets} silent connections from {_options.Sources} source address(es) for {_options.Hold.TotalSeconds:0} s"));

            var target = ParseEndPoint(address);
            using var flood = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sockets = new FloodSockets(target, _options.Sources);
            var floodTask = sockets.RunAsync(_options.Sockets, ConnectsInFlight, flood.Token);
            var peak = 0L;
            var pings = 0;
            var pingsOk = 0;
            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started) < _options.Hold)
            {
                peak = Math.Max(peak, daemon.ResidentBytes());
                pings++;
                pingsOk += await PingAsync(address, cancellationToken) ? 1 : 0;
                peak = Math.Max(peak, daemon.ResidentBytes());
            }

            var during = daemon.ResidentBytes();
            var threads = daemon.ThreadCount();
            var open = sockets.Open;
            var cpuFlood = daemon.CpuTime() - cpuBefore;
            await flood.CancelAsync();
            await floodTask;
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"during: rss peak {Mb(peak)}, at the end {Mb(during)}, {threads} threads; {sockets.Connects} connects made, {open} open at the end, {sockets.Notices} refusal notices received; daemon CPU {cpuFlood.TotalSeconds:0.0} s; overlay ping from 127.0.0.1: {pingsOk}/{pings} ok"));

            var lowest = long.MaxValue;
            var settled = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(settled) < _options.After)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                lowest = Math.Min(lowest, daemon.ResidentBytes());
            }

            var after = daemon.ResidentBytes();
            var pingAfter = await PingAsync(address, cancellationToken);
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"after {_options.After.TotalSeconds:0} s without the flood: rss {Mb(after)} (lowest {Mb(lowest)}), {daemon.ThreadCount()} threads; overlay ping {(pingAfter ? "ok" : "FAILED")}"));
            if (LastPingFailure is { } failure)
            {
                _output.WriteLine($"last failed ping: {failure}");
            }

            await daemon.StopAsync(TimeSpan.FromSeconds(15));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<bool> PingAsync(string address, CancellationToken cancellationToken)
    {
        var (ok, output) = await PingWithOutputAsync(address, cancellationToken);
        if (!ok)
        {
            LastPingFailure = output.Trim();
        }

        return ok;
    }

    /// <summary>What the last failed ping printed.</summary>
    private string? LastPingFailure { get; set; }

    private async Task<(bool Ok, string Output)> PingWithOutputAsync(string address, CancellationToken cancellationToken)
    {
        var info = Daemon.NodeProcess(_options.NodeDll);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        foreach (var argument in new[] { "ping", address, "--count", "1", "--timeout", "5" })
        {
            info.ArgumentList.Add(argument);
        }

        using var ping = Process.Start(info)!;
        var output = ping.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = ping.StandardError.ReadToEndAsync(cancellationToken);
        await ping.WaitForExitAsync(cancellationToken);
        return (ping.ExitCode == 0, await output + await error);
    }

    private static IPEndPoint ParseEndPoint(string address)
    {
        // tcp://127.0.0.1:PORT/p2p/ID
        var hostPort = address["tcp://".Length..address.IndexOf("/p2p/", StringComparison.Ordinal)];
        return IPEndPoint.Parse(hostPort);
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MB");

    /// <summary>The flood itself: keeps a number of silent sockets open, reopening each one the daemon closes.</summary>
    private sealed class FloodSockets(IPEndPoint target, int sources)
    {
        private long _connects;
        private long _notices;
        private int _open;

        public long Connects => Interlocked.Read(ref _connects);

        public long Notices => Interlocked.Read(ref _notices);

        public int Open => Volatile.Read(ref _open);

        public async Task RunAsync(int count, int inFlight, CancellationToken stop)
        {
            using var gate = new SemaphoreSlim(inFlight);
            var loops = new Task[count];
            for (var i = 0; i < count; i++)
            {
                loops[i] = KeepOpenAsync(SourceOf(i), gate, stop);
            }

            await Task.WhenAll(loops);
        }

        private IPAddress SourceOf(int i) =>
            sources == 1 ? IPAddress.Loopback : new IPAddress([127, 1, (byte)((i % sources) >> 8), (byte)((i % sources) & 0xFF)]);

        private async Task KeepOpenAsync(IPAddress source, SemaphoreSlim gate, CancellationToken stop)
        {
            var buffer = new byte[64];
            while (!stop.IsCancellationRequested)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await gate.WaitAsync(stop);
                    try
                    {
                        socket.Bind(new IPEndPoint(source, 0));
                        await socket.ConnectAsync(target, stop);
                    }
                    finally
                    {
                        gate.Release();
                    }

                    Interlocked.Increment(ref _connects);
                    Interlocked.Increment(ref _open);
                    try
                    {
                        // Silent: wait until the daemon closes it (a notice first, when it sheds or refuses).
                        while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) is var n && n > 0)
                        {
                            if (buffer[0] == (byte)'O')
                            {
                                Interlocked.Increment(ref _notices);
                            }
                        }
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _open);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    // Reset, refused or out of ports for a moment: try again.
                }
            }
        }
    }
}
