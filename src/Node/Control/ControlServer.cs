using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Control;

/// <summary>
/// The local control API: a Unix socket in the data directory (or TCP on 127.0.0.1) serving
/// length-prefixed JSON requests that must carry the token from <c>control.token</c>. A new connection
/// waits in a budget of its own until its first request, due within <c>Control:AuthenticationTimeout</c>,
/// shows the token (<see cref="ControlAdmission"/>); only then may it hold one of the
/// <c>Control:MaxConnections</c> authenticated slots. Cheap checks run first (frame length before any
/// allocation, then UTF-8 and JSON shape, then the token in constant time), each refusal is answered with
/// a typed error, counted by reason and logged at Debug; a protocol error or wrong token closes the
/// connection. Nothing a client sends ends the accept loop or reaches the node as an exception.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    /// <summary>Meter name of the control API's counters.</summary>
    public const string MeterName = "Overlay.Node.Control";

    private readonly ControlOptions _options;
    private readonly string _dataDirectory;
    private readonly IControlCommands _commands;
    private readonly int _maxRequestBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ControlAdmission _admission;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _refused;
    private readonly long[] _refusedByReason = new long[Enum.GetValues<ControlError>().Length];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private Socket? _listener;
    private byte[] _token = [];
    private Task? _acceptLoop;
    private int _disposed;

    /// <summary>Creates the server; <see cref="Start"/> binds it.</summary>
    /// <param name="options">Socket kind, port, connection budgets and timeouts.</param>
    /// <param name="dataDirectory">Where the token, endpoint and socket files are written.</param>
    /// <param name="commands">Carries out authenticated requests.</param>
    /// <param name="maxRequestBytes">Largest request frame accepted, in bytes.</param>
    /// <param name="time">Clock for the read and operation timeouts.</param>
    /// <param name="meter">Where the request and refusal counters go.</param>
    /// <param name="logger">Logger; refusals are logged at Debug.</param>
    public ControlServer(
        ControlOptions options, string dataDirectory, IControlCommands commands, int maxRequestBytes, TimeProvider time, Meter meter, ILogger? logger = null)
        : this(options, dataDirectory, commands, maxRequestBytes, time, meter, logger, shedOldestUnauthenticated: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="shedOldestUnauthenticated"/> false refuses newcomers instead (see <see cref="ControlAdmission"/>).</summary>
    internal ControlServer(
        ControlOptions options, string dataDirectory, IControlCommands commands, int maxRequestBytes, TimeProvider time, Meter meter, ILogger? logger, bool shedOldestUnauthenticated)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(meter);
        _options = options;
        _dataDirectory = dataDirectory;
        _commands = commands;
        _maxRequestBytes = maxRequestBytes;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        _admission = new ControlAdmission(options.MaxUnauthenticatedConnections, options.MaxConnections, shedOldestUnauthenticated);
        _requests = meter.CreateCounter<long>("overlay.control.requests", description: "Control requests served, by command");
        _refused = meter.CreateCounter<long>("overlay.control.refused", description: "Control requests refused, by reason");
    }

    /// <summary>The bound endpoint (a <see cref="UnixDomainSocketEndPoint"/> or a loopback <see cref="IPEndPoint"/>), once started.</summary>
    public EndPoint? Endpoint { get; private set; }

    /// <summary>The largest request frame accepted, in bytes.</summary>
    public int MaxRequestBytes => _maxRequestBytes;

    /// <summary>Connections waiting to show the token, and connections that have shown it.</summary>
    internal (int Waiting, int Authenticated) Connections => (_admission.Waiting, _admission.Authenticated);

    /// <summary>Requests refused (or failed) for <paramref name="reason"/> since start.</summary>
    public long RefusedCount(ControlError reason) => Interlocked.Read(ref _refusedByReason[(int)reason]);

    /// <summary>
    /// Binds the configured socket, writes a fresh token, then the endpoint file, and starts accepting.
    /// Throws <see cref="ControlStartException"/> with one sentence when the socket cannot be bound.
    /// </summary>
    public void Start()
    {
        // Bound first: a socket that cannot be bound leaves no token or endpoint file behind. Nothing is
        // accepted before the token exists.
        var listener = ControlListener.Bind(_options, _dataDirectory);
        _listener = listener;
        _token = ControlFiles.CreateToken(_dataDirectory);
        Endpoint = listener.LocalEndPoint!;
        ControlFiles.WriteEndpoint(_dataDirectory, Endpoint);
        var endpointText = Endpoint.ToString() ?? string.Empty;
        var tokenPath = ControlFiles.TokenPath(_dataDirectory);
        Log.ControlListening(_logger, endpointText, tokenPath);
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(false);
        if (_listener is not null)
        {
            ControlFiles.Remove(_dataDirectory);
        }

        CryptographicOperations.ZeroMemory(_token);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // One failed accept (a client that reset at once) must not stop the API.
                Log.ControlConnectionEnded(_logger, e.Message);
                continue;
            }

            var task = ServeConnectionAsync(client, stopping);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeConnectionAsync(Socket client, CancellationToken stopping)
    {
        // Admitted here, still on the accept loop, so connections are admitted (and the oldest shed) in
        // the order they arrived; everything after runs off the accept loop.
        var ticket = _admission.TryAdmit();
        await Task.Yield();
        try
        {
            var stream = new NetworkStream(client, ownsSocket: true);
            await using (stream.ConfigureAwait(false))
            {
                await ServeStreamAsync(client, stream, ticket, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The daemon is stopping.
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away mid-request; nothing to answer.
            Log.ControlConnectionEnded(_logger, e.Message);
        }
#pragma warning disable CA1031 // Last line of defence for one connection: a bug here must not end the API or go unobserved.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Count(ControlError.Internal);
            Log.ControlCommandFailed(_logger, "(connection)", e);
        }
        finally
        {
            client.Dispose();
            if (ticket is not null)
            {
                _admission.Release(ticket);
            }
        }
    }

    private async Task ServeStreamAsync(Socket client, NetworkStream stream, ControlAdmission.Ticket? ticket, CancellationToken stopping)
    {
        if (client.RemoteEndPoint is IPEndPoint remote && !IPAddress.IsLoopback(remote.Address))
        {
            // Unreachable while bound to 127.0.0.1 or a Unix socket; kept in case a future option widens the bind.
            await RefuseAsync(stream, ControlError.NotLoopback, "The control API serves loopback clients only.", stopping).ConfigureAwait(false);
            return;
        }

        if (ticket is null)
        {
            await RefuseAsync(stream, ControlError.Busy, $"{_options.MaxUnauthenticatedConnections} control connections are already waiting to show the token; try again.", stopping).ConfigureAwait(false);
            return;
        }

        // The first request must come soon, whole, with the token, and before a newcomer sheds this connection.
        var first = await ReadRequestAsync(stream, _options.AuthenticationTimeout, ticket.Shed, stopping).ConfigureAwait(false);
        if (first is null)
        {
            return;
        }

        if (!await CheckTokenAsync(stream, first, stopping).ConfigureAwait(false))
        {
            return;
        }

        switch (_admission.TryAuthenticate(ticket))
        {
            case ControlAdmissionResult.Shed:
                await RefuseShedAsync(stream, stopping).ConfigureAwait(false);
                return;
            case ControlAdmissionResult.Full:
                await RefuseAsync(stream, ControlError.Busy, $"The daemon serves at most {_options.MaxConnections} control connections at once; try again.", stopping).ConfigureAwait(false);
                return;
        }

        var request = first;
        while (await ServeRequestAsync(stream, request, stopping).ConfigureAwait(false))
        {
            request = await ReadRequestAsync(stream, _options.ReadTimeout, CancellationToken.None, stopping).ConfigureAwait(false);
            if (request is null || !await CheckTokenAsync(stream, request, stopping).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Reads and decodes one request due within <paramref name="timeout"/>; null when the connection
    /// must close (the client finished, or a refusal was sent: a bad frame, the deadline, or shedding).
    /// </summary>
    private async Task<ControlRequestFrame?> ReadRequestAsync(Stream stream, TimeSpan timeout, CancellationToken shed, CancellationToken stopping)
    {
        byte[]? body;
        using (var deadline = new CancellationTokenSource(timeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token, shed))
        {
            try
            {
                body = await ControlProtocol.ReadFrameAsync(stream, _maxRequestBytes, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shed.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                await RefuseShedAsync(stream, stopping).ConfigureAwait(false);
                return null;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                await RefuseAsync(stream, ControlError.ReadTimeout, $"No whole request arrived within {timeout.TotalSeconds:0.#} s.", stopping).ConfigureAwait(false);
                return null;
            }
            catch (ControlProtocolException e)
            {
                // After a bad frame the stream position is unknown: answer and close.
                await RefuseAsync(stream, e.Error, e.Message, stopping).ConfigureAwait(false);
                return null;
            }
        }

        if (body is null)
        {
            return null;
        }

        if (!ControlProtocol.TryDecodeRequest(body, out var request, out var error))
        {
            await RefuseAsync(stream, ControlError.Malformed, error, stopping).ConfigureAwait(false);
            return null;
        }

        return request;
    }

    private async Task<bool> CheckTokenAsync(Stream stream, ControlRequestFrame request, CancellationToken stopping)
    {
        if (TokenMatches(request.Token))
        {
            return true;
        }

        await RefuseAsync(stream, ControlError.BadToken, "The control token is missing or wrong; read it from control.token in the node's data directory.", stopping).ConfigureAwait(false);
        return false;
    }

    private Task RefuseShedAsync(Stream stream, CancellationToken stopping) =>
        RefuseAsync(stream, ControlError.Busy, $"More than {_options.MaxUnauthenticatedConnections} connections were waiting to show the control token; the oldest, this one, was closed.", stopping);

    /// <summary>Serves one authenticated request; false when the connection must be closed.</summary>
    private async Task<bool> ServeRequestAsync(Stream stream, ControlRequestFrame frame, CancellationToken stopping)
    {
        if (frame.Command is not { } command)
        {
            await RefuseAsync(stream, ControlError.BadArgument, "The request names no command.", stopping).ConfigureAwait(false);
            return true;
        }

        ControlReply reply;
        try
        {
            reply = await _commands.ExecuteAsync(new ControlRequest(command, frame.Key, frame.Value), stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed command is answered and logged; it must not take the API down.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ControlCommandFailed(_logger, command, e);
            reply = ControlReply.Fail(ControlError.Internal, "The command failed inside the daemon; its log has the details.");
        }

        if (reply.Error != ControlError.None)
        {
            await RefuseAsync(stream, reply.Error, reply.Message ?? reply.Error.ToString(), stopping, reply.Body).ConfigureAwait(false);
            return true;
        }

        _requests.Add(1, new KeyValuePair<string, object?>("command", Shorten(command)));
        var ok = reply.Body ?? [];
        ok["ok"] = true;
        await ControlProtocol.WriteFrameAsync(stream, ok, stopping).ConfigureAwait(false);
        return true;
    }

    private bool TokenMatches(string? text)
    {
        Span<byte> given = stackalloc byte[ControlFiles.TokenBytes];
        if (text is null || text.Length != ControlFiles.TokenBytes * 2 ||
            Convert.FromHexString(text, given, out _, out var written) != System.Buffers.OperationStatus.Done || written != given.Length)
        {
            return false;
        }

        // Constant time: how long the comparison takes says nothing about how many leading bytes matched.
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }

    private async Task RefuseAsync(Stream stream, ControlError error, string message, CancellationToken stopping, JsonObject? details = null)
    {
        Count(error);
        var body = ControlProtocol.ErrorBody(error, message);
        if (details is not null)
        {
            // A failure's details (a put's storedOn, required, refusals) go beside the error, never over it.
            foreach (var (name, value) in details.ToArray())
            {
                details.Remove(name);
                body.TryAdd(name, value);
            }
        }

        await ControlProtocol.WriteFrameAsync(stream, body, stopping).ConfigureAwait(false);
    }

    private void Count(ControlError error)
    {
        Interlocked.Increment(ref _refusedByReason[(int)error]);
        _refused.Add(1, new KeyValuePair<string, object?>("reason", error.ToString()));
        Log.ControlRefused(_logger, error);
    }

    // Command words come from the client: cap the tag's length so they cannot bloat the metrics.
    private static string Shorten(string command) => command.Length <= 16 ? command : command[..16];
}
