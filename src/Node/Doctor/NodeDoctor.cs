using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Control;
using Overlay.Dht;
using Overlay.Node.Hosting;
using Overlay.Node.Reachability;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Doctor;

/// <summary>
/// The checks of <c>overlay doctor</c>, run against one data directory and configuration without
/// starting a node: each returns a <see cref="DoctorCheck"/> with its verdict and a one-line fix.
/// When a node runs on that data directory, its own status (asked over the control API) stands in for
/// what only it can know, such as whether the ports it holds are its own.
/// </summary>
public sealed class NodeDoctor(NodeSettings settings, TimeSpan dialTimeout)
{
    /// <summary>Free space below which the disk check fails outright, whatever the quota.</summary>
    public const long MinimumFreeBytes = 64L * 1024 * 1024;

    /// <summary>Runs every check, in the order an operator would fix them.</summary>
    public async Task<IReadOnlyList<DoctorCheck>> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        var options = BoundOptions.Bind(settings);
        var problems = options.Problems;
        checks.Add(Configuration(problems));
        checks.Add(DataDirectoryMode());
        checks.Add(KeyFileMode());
        if (problems.Count > 0)
        {
            // The rest reads the configuration; with a bad one they would report its mistakes again.
            checks.Add(DoctorCheck.Skipped("ports", "The configuration is not valid."));
            return checks;
        }

        var transport = options.Transport;
        var storage = options.Storage;
        StoragePaths.Resolve(storage, settings.DataDirectory);
        var metrics = options.Metrics;
        var running = await RunningNodeAsync(cancellationToken).ConfigureAwait(false);
        checks.Add(running is null
            ? DoctorCheck.Ok("node", $"No node is running on {settings.DataDirectory}; the checks below are what it would meet at start.")
            : DoctorCheck.Ok("node", $"A node is running on {settings.DataDirectory}: {running["peerId"]}."));
        checks.Add(DiskSpace(storage));
        checks.Add(Quic(transport));
        checks.AddRange(ListenPorts(transport, running));
        checks.Add(MetricsPort(metrics, running));
        var clocks = new List<ReachProbe>();
        checks.AddRange(await BootstrapPeersAsync(transport, clocks, cancellationToken).ConfigureAwait(false));
        checks.Add(Clock());
        var limit = options.Dht.RequestTimeout;
        if (running is null)
        {
            checks.Add(NetworkChecks.Reachability(null));
            checks.Add(NetworkChecks.Nat(null));
            checks.Add(NetworkChecks.Skew(ClockSkew.Of(clocks), limit, "measured against the bootstrap peers"));
            checks.Add(NetworkChecks.RoutingTable(null));
            return checks;
        }

        // A check dials back from each peer (up to 5 s each, in parallel) and may follow a dial to each peer.
        var network = await AskRunningAsync("reachability", dialTimeout + ReachabilityService.DialBackTimeout + dialTimeout, cancellationToken).ConfigureAwait(false);
        checks.Add(NetworkChecks.Reachability(network?["reachability"] as JsonObject));
        checks.Add(NetworkChecks.Nat(network?["reachability"] as JsonObject));
        checks.Add(NetworkChecks.Skew(NetworkChecks.SkewOf(network?["clock"]), limit, "measured by the running node"));
        checks.Add(NetworkChecks.RoutingTable(network?["routing"]));
        return checks;
    }

    /// <summary>0 when no check failed, 1 when one did (warnings do not change it).</summary>
    public static int ExitCodeOf(IReadOnlyList<DoctorCheck> checks) =>
        checks.Any(c => c.Verdict == DoctorVerdict.Failed) ? Cli.ExitCodes.Failure : Cli.ExitCodes.Success;

    internal static DoctorCheck Configuration(IReadOnlyList<string> problems) => problems.Count == 0
        ? DoctorCheck.Ok("config", "The configuration is valid.")
        : DoctorCheck.Failed("config", string.Join(" ", problems), "Correct the value(s) named, in <data dir>/node.config.json or the --config file.");

    internal DoctorCheck DataDirectoryMode()
    {
        const string name = "data-directory";
        var path = settings.DataDirectory;
        if (!Directory.Exists(path))
        {
            return DoctorCheck.Warning(name, $"{path} does not exist yet.", "'overlay init' or the first 'overlay run' creates it, mode 0700.");
        }

        try
        {
            DataDirectory.RequireAccessible(path);
        }
        catch (DataDirectoryAccessException e)
        {
            return DoctorCheck.Failed(name, e.Message, $"Run as the user who owns {path}, or give it to the node's user: chown -R USER {path}.");
        }

        if (OperatingSystem.IsWindows())
        {
            return DoctorCheck.Ok(name, $"{path} is readable.");
        }

        var mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0
            ? DoctorCheck.Failed(name, $"{path} has mode {Octal(mode)}: other users can replace the node's files.", $"chmod 700 {path}")
            : (mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0
                ? DoctorCheck.Warning(name, $"{path} has mode {Octal(mode)}: other users can list the node's files.", $"chmod 700 {path}")
                : DoctorCheck.Ok(name, $"{path} has mode {Octal(mode)}.");
    }

    internal DoctorCheck KeyFileMode()
    {
        const string name = "key-file";
        var path = Path.Combine(settings.DataDirectory, IdentityStore.FileName);
        if (!File.Exists(path))
        {
            return DoctorCheck.Skipped(name, $"{path} does not exist yet; the first start creates it, mode 0600.");
        }

        if (OperatingSystem.IsWindows())
        {
            return DoctorCheck.Ok(name, $"{path} exists.");
        }

        var mode = File.GetUnixFileMode(path);
        var others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        return (mode & others) != 0
            ? DoctorCheck.Failed(name, $"{path} has mode {Octal(mode)}: other users can read or change the node's secret key.",
                $"chmod 600 {path}; if others could read it, move it away and start the node to make a new identity.")
            : DoctorCheck.Ok(name, $"{path} has mode {Octal(mode)}.");
    }

    internal DoctorCheck DiskSpace(StorageOptions storage)
    {
        const string name = "disk";
        var folder = Directory.Exists(storage.Directory) ? storage.Directory : Directory.Exists(settings.DataDirectory) ? settings.DataDirectory : null;
        if (folder is null)
        {
            return DoctorCheck.Skipped(name, "Neither the storage folder nor the data directory exists yet.");
        }

        var free = new DriveInfo(folder).AvailableFreeSpace;
        var used = Directory.Exists(storage.Directory)
            ? new DirectoryInfo(storage.Directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;
        var remaining = Math.Max(0, storage.CapacityBytes - used);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{Cli.StatusCommand.Bytes(free)} free where {storage.Directory} is; the store uses {Cli.StatusCommand.Bytes(used)} of its {Cli.StatusCommand.Bytes(storage.CapacityBytes)} quota (Storage:CapacityBytes).");
        if (free < MinimumFreeBytes)
        {
            return DoctorCheck.Failed(name, text, "Free disk space: puts fail as 'disk_full' and dht.db cannot save acknowledged records.");
        }

        return free < remaining
            ? DoctorCheck.Warning(name, text, "Lower Storage:CapacityBytes to what the disk holds, or free space: the disk fills before the quota.")
            : DoctorCheck.Ok(name, text);
    }

    internal static DoctorCheck Quic(TransportOptions transport)
    {
        const string name = "quic";
        if (!transport.ListenAddresses.Any(a => a.StartsWith("quic://", StringComparison.OrdinalIgnoreCase)))
        {
            return DoctorCheck.Skipped(name, "No quic:// listen address is configured.");
        }

#pragma warning disable CA1416 // Asked on every platform: false where QUIC is unsupported is the answer wanted.
        var supported = System.Net.Quic.QuicListener.IsSupported;
#pragma warning restore CA1416
        return supported
            ? DoctorCheck.Ok(name, "libmsquic is loadable: quic:// addresses are served over QUIC.")
            : DoctorCheck.Warning(name, "libmsquic is not loadable: quic:// addresses are served over TCP+TLS on the same port.",
                "Install libmsquic (packages.microsoft.com) or set Transport:MsQuicLibraryPath; or listen on tcp:// only.");
    }

    internal static IEnumerable<DoctorCheck> ListenPorts(TransportOptions transport, JsonObject? running)
    {
        var held = RunningListens(running);
        foreach (var text in transport.ListenAddresses)
        {
            var name = "listen " + text;
            if (!TransportAddress.TryParse(text, out var address, out _))
            {
                continue; // The configuration check has named it already.
            }

            if (address.Port == 0)
            {
                yield return DoctorCheck.Ok(name, "Port 0: the node picks a free port at start.");
                continue;
            }

            if (held.Contains(address.Port))
            {
                yield return DoctorCheck.Ok(name, "Held by the running node.");
                continue;
            }

            var problem = TryBind(IPAddress.Parse(address.HostText), address.Port, address.Scheme == TransportScheme.Quic ? ProtocolType.Udp : ProtocolType.Tcp);
            yield return problem is null
                ? DoctorCheck.Ok(name, "The port is free to bind.")
                : DoctorCheck.Failed(name, problem, $"Stop what holds port {address.Port} (ss -ltnp 'sport = :{address.Port}'), or listen on another port (Transport:ListenAddresses).");
        }
    }

    internal static DoctorCheck MetricsPort(MetricsOptions metrics, JsonObject? running)
    {
        const string name = "metrics";
        if (metrics.Listen.Length == 0)
        {
            return DoctorCheck.Skipped(name, "Metrics:Listen is empty: no endpoint.");
        }

        if (running?["metrics"] is JsonObject served)
        {
            return served["url"] is JsonValue url
                ? DoctorCheck.Ok(name, $"The running node serves {url}.")
                : DoctorCheck.Failed(name, $"The running node serves no metrics: {served["problem"]}.", "Free the port and restart the node, or set Metrics:Listen to another HOST:PORT.");
        }

        if (!MetricsOptions.TryParseListen(metrics.Listen, out var address, out var port))
        {
            return DoctorCheck.Skipped(name, "Metrics:Listen is not HOST:PORT (the configuration check names it).");
        }

        var problem = TryBind(address, port, ProtocolType.Tcp);
        return problem is null
            ? DoctorCheck.Ok(name, $"{metrics.Listen} is free to bind.")
            : DoctorCheck.Failed(name, problem, $"Stop what holds port {port}, or set Metrics:Listen to another HOST:PORT (the node would run without metrics).");
    }

    internal async Task<IReadOnlyList<DoctorCheck>> BootstrapPeersAsync(TransportOptions transport, List<ReachProbe> clocks, CancellationToken cancellationToken)
    {
        if (transport.BootstrapPeers.Count == 0)
        {
            return [DoctorCheck.Warning("bootstrap", "No bootstrap peer is configured: the node joins only through contacts saved in dht.db, or when others dial it.",
                "Add a peer as tcp://HOST:PORT/p2p/PEERID to Transport:BootstrapPeers (the first node of a network needs none).")];
        }

        var options = new TransportOptions { HandshakeTimeout = dialTimeout, RequestTimeout = dialTimeout, BatchWindow = TimeSpan.Zero };
        using var identity = NodeIdentity.Generate();
        var transports = TransportSet.Create(identity, new ProtocolDispatcher(), options);
        await using (transports.ConfigureAwait(false))
        {
            var dials = transport.BootstrapPeers.Select(peer => DialAsync(transports, peer, clocks, cancellationToken)).ToArray();
            return await Task.WhenAll(dials).ConfigureAwait(false);
        }
    }

    internal static DoctorCheck Clock() => ClockSynchronisation.IsSynchronised() switch
    {
        true => DoctorCheck.Ok("clock", "The kernel reports the clock synchronised."),
        false => DoctorCheck.Warning("clock", "The kernel reports the clock not synchronised: record expiry and peers' checks of it drift with it.",
            "Enable time synchronisation: timedatectl set-ntp true (or install chrony)."),
        null => DoctorCheck.Skipped("clock", "The kernel cannot be asked about clock synchronisation here."),
    };

    private async Task<DoctorCheck> DialAsync(TransportSet transports, string text, List<ReachProbe> clocks, CancellationToken cancellationToken)
    {
        var name = "bootstrap " + text;
        if (!TransportAddress.TryParse(text, out var address, out _))
        {
            return DoctorCheck.Skipped(name, "Not an address (the configuration check names it).");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(dialTimeout);
        try
        {
            var connection = await transports.DialAsync(address, deadline.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // The peer's clock, for the clock-skew check (a peer that does not serve reach/1 just gives none).
                var probe = await ReachClient.AskAsync(connection, null, TimeProvider.System, deadline.Token).ConfigureAwait(false);
                if (probe.Answer is not null)
                {
                    lock (clocks)
                    {
                        clocks.Add(probe);
                    }
                }

                return address.ExpectedPeer is null
                    ? DoctorCheck.Warning(name, $"Reachable; it is {connection.RemotePeer}. The address pins no PeerId, so the node trusts the identity it meets there first and remembers it in dht.db.",
                        $"To be sure of it, pin it: {address.WithPeer(connection.RemotePeer)} (after checking that PeerId with its operator).")
                    : DoctorCheck.Ok(name, $"Reachable, and it proved the pinned PeerId {connection.RemotePeer.ToShortString()}.");
            }
        }
        catch (TransportException e)
        {
            return DoctorCheck.Failed(name, $"Not reachable ({e.Reason}): {e.Message}", "Check the address and PeerId with the peer's operator, and that a firewall lets this host reach that port.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Failed(name, string.Create(CultureInfo.InvariantCulture, $"No answer within {dialTimeout.TotalSeconds:0.#} s."),
                "Check that the peer is running and that a firewall lets this host reach that port.");
        }
    }

    private async Task<JsonObject?> RunningNodeAsync(CancellationToken cancellationToken) =>
        await AskRunningAsync("status", dialTimeout, cancellationToken).ConfigureAwait(false) is { } reply && reply["peerId"] is not null ? reply : null;

    /// <summary>The running node's reply to <paramref name="command"/>; null when no node answers it.</summary>
    private async Task<JsonObject?> AskRunningAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(ControlFiles.EndpointPath(settings.DataDirectory)))
        {
            return null;
        }

        try
        {
            var client = await ControlClient.ConnectAsync(settings.DataDirectory, timeout, cancellationToken).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                return await client.SendAsync(new JsonObject { ["command"] = command }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ControlClientException)
        {
            // No node answers (a stale endpoint file, or one too old to know the command): check as if none ran.
            return null;
        }
    }

    private static HashSet<int> RunningListens(JsonObject? running)
    {
        var ports = new HashSet<int>();
        if (running?["listening"] is JsonArray listening)
        {
            foreach (var item in listening)
            {
                if (item is JsonValue v && v.TryGetValue<string>(out var s) && TransportAddress.TryParse(s, out var a, out _))
                {
                    ports.Add(a.Port);
                }
            }
        }

        return ports;
    }

    /// <summary>Null when <paramref name="port"/> can be bound on <paramref name="address"/>, else why not.</summary>
    internal static string? TryBind(IPAddress address, int port, ProtocolType protocol)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol);
            socket.Bind(new IPEndPoint(address, port));
            if (protocol == ProtocolType.Tcp)
            {
                socket.Listen(1);
            }

            return null;
        }
        catch (SocketException e)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Cannot bind {(protocol == ProtocolType.Udp ? "UDP" : "TCP")} {new IPEndPoint(address, port)}: {e.Message} ({e.SocketErrorCode}).");
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
