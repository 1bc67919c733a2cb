using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// <c>dht-put-control DATA_DIR [puts] [clients] [PID,PID...]</c>: puts through the control API of the daemon
/// running for DATA_DIR, as <c>overlay put</c> sends them but without a process per put: <c>clients</c>
/// connections, each sending its next put when the last is answered. Prints puts per second, latency
/// percentiles, what the daemon answered (how many peers took each acknowledged put, failures by error)
/// and, for each PID given, that process's CPU time per put (user + system, from /proc): on a shared
/// machine the wall-clock rate measures the wait for a core, the CPU time what a put costs.
/// </summary>
public static class DhtPutControlProbe
{
    public static async Task<int> RunAsync(TextWriter output, string dataDirectory, int puts, int clients, IReadOnlyList<int> pids)
    {
        var cpuBefore = pids.Select(CpuSeconds).ToArray();
        var run = Guid.NewGuid().ToString("N")[..8];
        var latencies = new double[puts];
        var storedOn = new SortedDictionary<int, int>();
        var failures = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var gate = new object();
        var next = -1;
        var value = Convert.ToBase64String(new byte[100]);
        var wall = Stopwatch.StartNew();
        var workers = new List<Task>();
        for (var c = 0; c < clients; c++)
        {
            workers.Add(Task.Run(async () =>
            {
                var client = await ControlClient.ConnectAsync(dataDirectory, TimeSpan.FromMinutes(2), CancellationToken.None);
                await using (client.ConfigureAwait(false))
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < puts)
                    {
                        var started = Stopwatch.GetTimestamp();
                        string outcome;
                        var stored = -1;
                        try
                        {
                            var reply = await client.SendAsync(new JsonObject { ["command"] = "put", ["key"] = $"bench {run} {i}", ["value"] = value }, CancellationToken.None);
                            stored = reply["storedOn"]?.GetValue<int>() ?? 0;
                            outcome = "ok";
                        }
                        catch (ControlClientException e)
                        {
                            outcome = e.DaemonError.ToString();
                        }

                        latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                        lock (gate)
                        {
                            if (stored >= 0)
                            {
                                storedOn[stored] = storedOn.GetValueOrDefault(stored) + 1;
                            }
                            else
                            {
                                failures[outcome] = failures.GetValueOrDefault(outcome) + 1;
                            }
                        }
                    }
                }
            }));
        }

        await Task.WhenAll(workers);
        wall.Stop();
        Array.Sort(latencies);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{puts} puts through the control API, {clients} clients: {puts / wall.Elapsed.TotalSeconds:N0} puts/s; latency p50 {latencies[puts / 2]:F1} ms, p99 {latencies[(int)(puts * 0.99)]:F1} ms"));
        output.WriteLine("acknowledged, by peers that took the value: " + string.Join(", ", storedOn.Select(s => $"{s.Key} peers: {s.Value}")));
        output.WriteLine("failed, by error: " + (failures.Count == 0 ? "none" : string.Join(", ", failures.Select(f => $"{f.Key}: {f.Value}"))));
        if (pids.Count > 0)
        {
            output.WriteLine("CPU ms per put, by process: " + string.Join(", ", pids.Select((pid, i) =>
                string.Create(CultureInfo.InvariantCulture, $"{pid}: {(CpuSeconds(pid) - cpuBefore[i]) * 1000 / puts:F3}"))));
        }

        return 0;
    }

    // utime + stime of a process in seconds: fields 14 and 15 of /proc/PID/stat, after the command name in parentheses.
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0; // USER_HZ is 100 on Linux
    }
}
