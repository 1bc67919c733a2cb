using System.Diagnostics;
using System.Globalization;
using Overlay.Transport;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// Round trips of a DHT-sized request (64 bytes out, 1,200 bytes back: about a FIND_NODE and its
/// NODES answer), sent one after the other with High priority as the DHT sends them, first on an idle
/// connection and then while one bulk stream moves <c>GiB</c> gibibytes over the same connection.
/// Prints p50/p99 of both, their ratio, and the bulk stream's rate alone and beside the requests.
/// With <c>streams</c> each request is instead a control stream of its own (on QUIC a QUIC stream of
/// its own): open, write the request, end, read the answer.
/// <c>window=BYTES</c> sets <see cref="TransportOptions.StreamWindowBytes"/> on both nodes, and <c>fixed</c>
/// keeps bulk streams at it (<see cref="TransportOptions.BulkStreamWindowMaxBytes"/> equal to it; without
/// <c>fixed</c> they grow with the measured bandwidth-delay product); <c>gap=MS</c>
/// waits that many milliseconds between requests (idle and loaded alike) instead of sending them back
/// to back, as a node that asks now and then rather than all the time.
/// With <c>split</c> the answering node runs in a child process, as two nodes on one host would: each
/// then has its own thread pool (and QUIC its own libmsquic workers), and the CPU time is the asking
/// node's alone.
/// Run: <c>Overlay.Benchmarks.dll transport loaded [tcp|quic] [GiB] [streams] [window=BYTES] [fixed] [gap=MS] [split]</c>.
/// </summary>
public static class LoadedLatencyCommand
{
    private const int RequestBytes = 64;
    private const int ResponseBytes = 1200;
    private const int IdleRequests = 20_000;
    private const int ChunkBytes = 256 * 1024;

    public static async Task RunAsync(TransportScheme scheme, int gibibytes, bool requestsAsStreams, int? window, int gapMilliseconds, bool split, bool fixedWindows)
    {
        var total = (long)gibibytes << 30;
        var options = Options(window, fixedWindows);
        using var windows = new BulkWindowWatch();

        await using var pair = await LoopbackPair.StartAsync(options, connect: !split, scheme);
        pair.ServerHandler.ResponseBytes = ResponseBytes;
        using var child = split ? StartServerProcess(scheme, window, fixedWindows) : null;
        var connection = split ? await pair.Client.DialAsync(TransportAddress.Parse((await child!.StandardOutput.ReadLineAsync())!)) : pair.Connection;
        var request = new byte[RequestBytes];
        var name = (scheme == TransportScheme.Quic ? "QUIC" : "TCP+TLS") + (requestsAsStreams ? ", each request a stream of its own" : string.Empty)
            + string.Create(CultureInfo.InvariantCulture, $", stream window {options.StreamWindowBytes / 1024} KiB")
            + (options.BulkStreamWindowMaxBytes > options.StreamWindowBytes ? string.Create(CultureInfo.InvariantCulture, $" (bulk up to {options.BulkStreamWindowMaxBytes / 1024} KiB)") : " (fixed)")
            + (gapMilliseconds > 0 ? string.Create(CultureInfo.InvariantCulture, $", {gapMilliseconds} ms between requests") : string.Empty)
            + (split ? ", answering node in its own process" : string.Empty);
        var idleCount = gapMilliseconds > 0 ? 2_000 : IdleRequests;
        Func<ITransportConnection, byte[], Task<double>> ask = requestsAsStreams ? StreamRoundTripAsync : RoundTripAsync;

        // Warm-up: the code paths, the thread pool and a first stream.
        for (var i = 0; i < 2_000; i++)
        {
            await ask(connection, request);
        }

        await BulkAsync(connection, 64L << 20);

        var idle = new List<double>(idleCount);
        for (var i = 0; i < idleCount; i++)
        {
            idle.Add(await ask(connection, request));
            await GapAsync(gapMilliseconds);
        }

        // Process CPU time (both nodes live in this process) is the cost of the bytes whatever else runs on the host.
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var switchesBefore = ContextSwitches.Count();
        var alone = Stopwatch.StartNew();
        await BulkAsync(connection, total);
        var aloneRate = total / (1024.0 * 1024.0) / alone.Elapsed.TotalSeconds;
        var cpuPerGiB = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / gibibytes;
        var switchesPerMiB = (ContextSwitches.Count() - switchesBefore) / (gibibytes * 1024.0);

        var loaded = new List<double>(200_000);
        var bulkClock = Stopwatch.StartNew();
        var bulk = Task.Run(() => BulkAsync(connection, total));
        while (!bulk.IsCompleted)
        {
            loaded.Add(await ask(connection, request));
            await GapAsync(gapMilliseconds);
        }

        await bulk;
        var loadedRate = total / (1024.0 * 1024.0) / bulkClock.Elapsed.TotalSeconds;

        var (idle50, idle99) = Percentiles(idle);
        var (loaded50, loaded99) = Percentiles(loaded);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}, idle connection: {idle.Count} sequential requests ({RequestBytes} B, answer {ResponseBytes} B), p50 {idle50:F0} us, p99 {idle99:F0} us"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}, during a {gibibytes} GiB bulk stream on the same connection: {loaded.Count} requests, p50 {loaded50:F0} us, p99 {loaded99:F0} us; p99 loaded/idle {loaded99 / idle99:F2}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}, bulk stream: {aloneRate:F0} MiB/s alone ({cpuPerGiB:F2} s CPU per GiB, {switchesPerMiB:F1} voluntary context switches per MiB, {(split ? "asking node" : "both ends")}), {loadedRate:F0} MiB/s beside the requests"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}, bulk stream windows grew {windows.Growths} times, to at most {windows.Largest / 1024} KiB{(split ? " (asking node)" : string.Empty)}"));
        if (child is not null)
        {
            await connection.CloseAsync();
            child.StandardInput.Close();
            await child.WaitForExitAsync();
        }
    }

    /// <summary>The answering node of <c>split</c>: listens, prints its address, serves until its input closes.</summary>
    public static async Task ServeAsync(TransportScheme scheme, int? window, bool fixedWindows)
    {
        await using var pair = await LoopbackPair.StartAsync(Options(window, fixedWindows), connect: false, scheme);
        pair.ServerHandler.ResponseBytes = ResponseBytes;
        Console.WriteLine(pair.ServerAddress.ToString());
        Console.Out.Flush();
        await Console.In.ReadToEndAsync();
    }

    private static TransportOptions Options(int? window, bool fixedWindows)
    {
        var options = new TransportOptions { RequestTimeout = TimeSpan.FromMinutes(1) };
        if (window is { } w)
        {
            options.StreamWindowBytes = w;
        }

        if (fixedWindows)
        {
            options.BulkStreamWindowMaxBytes = options.StreamWindowBytes;
        }

        return options;
    }

    private static Process StartServerProcess(TransportScheme scheme, int? window, bool fixedWindows)
    {
        var arguments = new List<string> { typeof(LoadedLatencyCommand).Assembly.Location, "transport", "serve-loaded", scheme == TransportScheme.Quic ? "quic" : "tcp" };
        if (window is { } w)
        {
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"window={w}"));
        }

        if (fixedWindows)
        {
            arguments.Add("fixed");
        }

        return Process.Start(new ProcessStartInfo(Environment.ProcessPath!, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
    }

    private static Task GapAsync(int milliseconds) => milliseconds > 0 ? Task.Delay(milliseconds) : Task.CompletedTask;

    private static async Task<double> RoundTripAsync(ITransportConnection connection, byte[] request)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await connection.RequestAsync(BenchProtocols.Control, request, MessagePriority.High);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static async Task<double> StreamRoundTripAsync(ITransportConnection connection, byte[] request)
    {
        var start = Stopwatch.GetTimestamp();
        await using var stream = await connection.OpenStreamAsync(BenchProtocols.Control);
        await stream.WriteAsync(request);
        await stream.CompleteWritesAsync();
        var answer = new byte[ResponseBytes];
        var got = 0;
        int n;
        while ((n = await stream.ReadAsync(answer.AsMemory(Math.Min(got, ResponseBytes - 1)))) > 0)
        {
            got += n;
        }

        if (got != ResponseBytes)
        {
            throw new InvalidOperationException($"The answer had {got} bytes, not {ResponseBytes}.");
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static async Task BulkAsync(ITransportConnection connection, long total)
    {
        var counted = await BulkTransfer.SendAsync(connection, new byte[ChunkBytes], total);
        if (counted != total)
        {
            throw new InvalidOperationException($"The receiver counted {counted} bytes, not {total}.");
        }
    }

    internal static (double P50, double P99) Percentiles(List<double> samples)
    {
        samples.Sort();
        return (samples[samples.Count / 2], samples[samples.Count * 99 / 100]);
    }
}
