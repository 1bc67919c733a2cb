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
/// The local control API: a TCP listener on 127.0.0.1 only, serving length-prefixed JSON requests that
/// must carry the token from <c>control.token</c>. Cheap checks run first (frame length before any
/// allocation, then JSON shape, then the token in constant time), each refusal is answered with a typed
/// error, counted by reason and logged at Debug; a protocol error or wrong token closes the connection.
/// Nothing a client sends ends the accept loop or reaches the node as an exception.
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
    private readonly SemaphoreSlim _slots;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _refused;
    private readonly long[] _refusedByReason = new long[Enum.GetValues<ControlError>().Length];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private TcpListener? _listener;
    private byte[] _token = [];
    private Task? _acceptLoop;
    private int _disposed;

    /// <summary>Creates the server; <see cref="Start"/> binds it.</summary>
    /// <param name="options">Port, connection limit and timeouts.</param>
    /// <param name="dataDirectory">Where the token and endpoint files are written.</param>
    /// <param name="commands">Carries out authenticated requests.</param>
    /// <param name="maxRequestBytes">Largest request frame accepted, in bytes.</param>
    /// <param name="time">Clock for the read and operation timeouts.</param>
    /// <param name="meter">Where the request and refusal counters go.</param>
    /// <param name="logger">Logger; refusals are logged at Debug.</param>
    public ControlServer(
        ControlOptions options, string dataDirectory, IControlCommands commands, int maxRequestBytes, TimeProvider time, Meter meter, ILogger? logger = null)
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
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        _requests = meter.CreateCounter<long>("overlay.control.requests", description: "Control requests served, by command");
        _refused = meter.CreateCounter<long>("overlay.control.refused", description: "Control requests refused, by reason");
    }

    /// <summary>The bound endpoint, once started.</summary>
    public IPEndPoint? Endpoint { get; private set; }

    /// <summary>The largest request frame accepted, in bytes.</summary>
    public int MaxRequestBytes => _maxRequestBytes;

    /// <summary>Requests refused (or failed) for <paramref name="reason"/> since start.</summary>
    public long RefusedCount(ControlError reason) => Interlocked.Read(ref _refusedByReason[(int)reason]);

    /// <summary>
    /// Binds 127.0.0.1 on the configured port, writes a fresh token, then the endpoint file, and starts
    /// accepting. Throws <see cref="SocketException"/> when the port is taken.
    /// </summary>
    public void Start()
    {
        _token = ControlFiles.CreateToken(_dataDirectory);
        var listener = new TcpListener(IPAddress.Loopback, _options.Port);
        listener.Start(backlog: 64);
        _listener = listener;
        Endpoint = (IPEndPoint)listener.LocalEndpoint;
        ControlFiles.WriteEndpoint(_dataDirectory, Endpoint);
        var endpointText = Endpoint.ToString();
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
        _listener?.Stop();
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
        _listener?.Dispose();
        _stopping.Dispose();
        _slots.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener!.AcceptTcpClientAsync(stopping).ConfigureAwait(false);
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

    private async Task ServeConnectionAsync(TcpClient client, CancellationToken stopping)
    {
        using var _ = client;
        var hasSlot = _slots.Wait(0, CancellationToken.None);
        try
        {
            var stream = client.GetStream();
            await using (stream.ConfigureAwait(false))
            {
                await ServeStreamAsync(client, stream, hasSlot, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The daemon is stopping.
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
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
            if (hasSlot)
            {
                _slots.Release();
            }
        }
    }

    private async Task ServeStreamAsync(TcpClient client, NetworkStream stream, bool hasSlot, CancellationToken stopping)
    {
        if (client.Client.RemoteEndPoint is not IPEndPoint remote || !IPAddress.IsLoopback(remote.Address))
        {
            // Unreachable while bound to 127.0.0.1; kept in case a future option widens the bind.
            await RefuseAsync(stream, ControlError.NotLoopback, "The control API serves loopback clients only.", stopping).ConfigureAwait(false);
            return;
        }

        if (!hasSlot)
        {
            await RefuseAsync(stream, ControlError.Busy, $"The daemon serves at most {_options.MaxConnections} control connections at once; try again.", stopping).ConfigureAwait(false);
            return;
        }

        while (!stopping.IsCancellationRequested)
        {
            byte[]? body;
            using (var readTimeout = new CancellationTokenSource(_options.ReadTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, readTimeout.Token))
            {
                try
                {
                    body = await ControlProtocol.ReadFrameAsync(stream, _maxRequestBytes, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (readTimeout.IsCancellationRequested && !stopping.IsCancellationRequested)
                {
                    await RefuseAsync(stream, ControlError.ReadTimeout, $"No whole request arrived within {_options.ReadTimeout.TotalSeconds:0.#} s.", stopping).ConfigureAwait(false);
                    return;
                }
                catch (ControlProtocolException e)
                {
                    // After a bad frame the stream position is unknown: answer and close.
                    await RefuseAsync(stream, e.Error, e.Message, stopping).ConfigureAwait(false);
                    return;
                }
            }

            if (body is null || !await ServeRequestAsync(stream, body, stopping).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Serves one request; false when the connection must be closed.</summary>
    private async Task<bool> ServeRequestAsync(Stream stream, byte[] body, CancellationToken stopping)
    {
        if (!ControlProtocol.TryParseObject(body, out var json, out var parseError))
        {
            await RefuseAsync(stream, ControlError.Malformed, parseError, stopping).ConfigureAwait(false);
            return false;
        }

        if (!ControlProtocol.TryGetString(json, "token", out var tokenText) || !ControlProtocol.TryGetString(json, "command", out var command) ||
            !ControlProtocol.TryGetString(json, "key", out var key) || !ControlProtocol.TryGetString(json, "value", out var valueText))
        {
            await RefuseAsync(stream, ControlError.Malformed, "The fields token, command, key and value must be strings when present.", stopping).ConfigureAwait(false);
            return false;
        }

        if (!TokenMatches(tokenText))
        {
            await RefuseAsync(stream, ControlError.BadToken, "The control token is missing or wrong; read it from control.token in the node's data directory.", stopping).ConfigureAwait(false);
            return false;
        }

        if (command is null)
        {
            await RefuseAsync(stream, ControlError.BadArgument, "The request names no command.", stopping).ConfigureAwait(false);
            return true;
        }

        byte[]? value = null;
        if (valueText is not null)
        {
            value = new byte[(valueText.Length / 4 * 3) + 3];
            if (!Convert.TryFromBase64String(valueText, value, out var n))
            {
                await RefuseAsync(stream, ControlError.Malformed, "The value is not base64.", stopping).ConfigureAwait(false);
                return false;
            }

            value = value[..n];
        }

        ControlReply reply;
        try
        {
            reply = await _commands.ExecuteAsync(new ControlRequest(command, key, value), stopping).ConfigureAwait(false);
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
